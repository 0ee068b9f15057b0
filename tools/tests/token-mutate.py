#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""token-mutate.py TOKEN OUTDIR [PER_REGION]: writes broken copies of the
CCA attestation token TOKEN (RMM 1.0 form, shared reference attestation.md)
into OUTDIR, for the verifiers to reject:

  flip-REGION-OFFSET.cbor  one byte changed (XOR 0x01, 0x80 or 0xff in turn)
                           at PER_REGION (default 12) offsets spread over
                           each region: realm-signature, realm-payload,
                           rak (the realm public key claim's bytes),
                           platform-signature, platform-payload
  truncated-LEN.cbor       the first LEN bytes only
  trailing-NAME.cbor       the token and bytes after it

Prints each region as "REGION OFFSET LENGTH". The regions are found with
the minimal CBOR head reader below (definite lengths only), independent of
both verifiers under test.
"""
import os
import sys


def head(b, i):
    """(major type, argument, offset after the head) of the head at i."""
    major, ai = b[i] >> 5, b[i] & 0x1F
    i += 1
    if ai < 24:
        return major, ai, i
    if ai > 27:
        raise ValueError("offset %d: indefinite or reserved head" % (i - 1))
    n = 1 << (ai - 24)
    return major, int.from_bytes(b[i:i + n], "big"), i + n


def skip(b, i):
    """Offset after the item at i."""
    major, arg, i = head(b, i)
    if major in (2, 3):
        return i + arg
    if major in (4, 5):
        for _ in range(arg * (2 if major == 5 else 1)):
            i = skip(b, i)
        return i
    if major == 6:
        return skip(b, i)
    return i


def bstr(b, i):
    """(content offset, content length, offset after) of the bstr at i."""
    major, n, i = head(b, i)
    if major != 2:
        raise ValueError("offset %d: not a byte string" % i)
    return i, n, i + n


def cose_sign1(b, start):
    """Payload and signature (offset, length) of the COSE_Sign1 at start."""
    major, tag, i = head(b, start)
    assert major == 6 and tag == 18, "no COSE_Sign1 tag"
    major, n, i = head(b, i)
    assert major == 4 and n == 4, "no COSE_Sign1 array"
    i = skip(b, i)                     # protected
    i = skip(b, i)                     # unprotected
    p_off, p_len, i = bstr(b, i)
    s_off, s_len, i = bstr(b, i)
    return (p_off, p_len), (s_off, s_len)


def realm_key_claim(b, start):
    """(offset, length) of the realm public key claim's bytes (44237)."""
    major, n, i = head(b, start)
    assert major == 5, "realm payload is no map"
    for _ in range(n):
        _, key, i = head(b, i)
        if key == 44237:
            off, length, _ = bstr(b, i)
            return off, length
        i = skip(b, i)
    raise ValueError("no claim 44237")


def regions(b):
    major, tag, i = head(b, 0)
    assert major == 6 and tag == 399, "no tag 399"
    major, n, i = head(b, i)
    assert major == 5 and n == 2, "no map of 2"
    tokens = {}
    for _ in range(2):
        _, key, i = head(b, i)
        off, length, i = bstr(b, i)
        tokens[key] = off
    realm_payload, realm_sig = cose_sign1(b, tokens[44241])
    platform_payload, platform_sig = cose_sign1(b, tokens[44234])
    return {
        "realm-signature": realm_sig,
        "realm-payload": realm_payload,
        "rak": realm_key_claim(b, realm_payload[0]),
        "platform-signature": platform_sig,
        "platform-payload": platform_payload,
    }


def spread(off, length, count):
    """count offsets from the first to the last byte of the region."""
    if length <= count:
        return list(range(off, off + length))
    return sorted({off + k * (length - 1) // (count - 1) for k in range(count)})


def write(outdir, name, data):
    with open(os.path.join(outdir, name + ".cbor"), "wb") as f:
        f.write(data)


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        token = f.read()
    outdir = argv[2]
    per_region = int(argv[3]) if len(argv) == 4 else 12
    os.makedirs(outdir, exist_ok=True)
    masks = (0x01, 0x80, 0xFF)
    for name, (off, length) in regions(token).items():
        print(name, off, length)
        for k, pos in enumerate(spread(off, length, per_region)):
            b = bytearray(token)
            b[pos] ^= masks[k % len(masks)]
            write(outdir, "flip-%s-%d" % (name, pos), bytes(b))
    n = len(token)
    for cut in sorted({0, 1, 3, 4, 10, n // 2, n - 97, n - 1}):
        write(outdir, "truncated-%d" % cut, token[:cut])
    write(outdir, "trailing-zero", token + b"\0")
    write(outdir, "trailing-buffer-tail", token + bytes(64))
    write(outdir, "trailing-ff", token + b"\xff")
    write(outdir, "trailing-token", token + token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
