#!/usr/bin/env node
// SPDX-License-Identifier: BSD-3-Clause
//
// An independent verifier of CCA attestation tokens (RMM 1.0 form), the
// second opinion next to "rmmctl verify-token" in rmmemu's tests: node-cbor
// decodes, Node's crypto verifies. The facts come from the shared reference
// (attestation.md), not from the C verifier.
//
//   node verify.js TOKEN [--platform-key PEM] [--expect JSON] [--legacy]
//
// --expect names a JSON file whose challenge, rim, rems[4] (hex), hash_algo
// ("sha-256"/"sha-512" or RMI's 0/1) and, if it has one, rpv the realm
// claims must equal; the challenge is compared zero-padded to 64 bytes, as
// Linux pads a shorter nonce. --legacy also accepts tokens without the realm profile claim, whose
// realm key is a raw EC point. Without --platform-key the platform signature
// is not checked, and the output says so.
//
// Exit status: 0 verified, 1 a check failed (the line names it), 2 usage or
// a file that cannot be read.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const cbor = require('cbor');

const USAGE = 'usage: node verify.js TOKEN [--platform-key PEM] [--expect JSON] [--legacy]';

const REALM_PROFILE = 'tag:arm.com,2023:realm#1.0.0';
const PLATFORM_PROFILES = {
  'tag:arm.com,2023:cca_platform#1.0.0': 'current',
  'http://arm.com/CCA-SSD/1.0.0': 'legacy',
};

// COSE algorithms the platform token may use (RFC 9053 2.1); the realm
// token is always ES384.
const ES = {
  '-7': { name: 'ES256', hash: 'sha256', curve: 'prime256v1', size: 32 },
  '-35': { name: 'ES384', hash: 'sha384', curve: 'secp384r1', size: 48 },
  '-36': { name: 'ES512', hash: 'sha512', curve: 'secp521r1', size: 66 },
};

// Hash algorithm names in the claims are IANA's; their Node names and sizes.
const HASHES = {
  'sha-256': { node: 'sha256', size: 32 },
  'sha-384': { node: 'sha384', size: 48 },
  'sha-512': { node: 'sha512', size: 64 },
};

class Rejected extends Error {
  constructor(check, message) {
    super(message);
    this.check = check;
  }
}

class UsageError extends Error {}

function reject(check, message) {
  throw new Rejected(check, message);
}

function format(cond, message) {
  if (!cond) reject('format', message);
}

// --- decoding ----------------------------------------------------------------

// node-cbor accepts indefinite lengths, long heads and repeated map keys;
// the strict form (attestation.md 6.1, 6.2) is the one that re-encodes to
// the same bytes: definite, shortest, each key once, nothing after the item.
function decodeStrict(bytes, what) {
  let item;
  try {
    item = cbor.decodeFirstSync(bytes, { preferMap: true });
  } catch (e) {
    reject('format', `${what}: ${e.message}`);
  }
  let again;
  try {
    again = cbor.encodeOne(item, { collapseBigIntegers: true });
  } catch (e) {
    reject('format', `${what}: cannot be re-encoded: ${e.message}`);
  }
  format(again.equals(bytes),
    `${what}: not strict CBOR (indefinite length, long head or repeated key)`);
  return item;
}

const isBytes = (v) => Buffer.isBuffer(v);
const isText = (v) => typeof v === 'string';
const isUint = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0) ||
  (typeof v === 'bigint' && v >= 0n);

function untag(item, tag, what) {
  format(item instanceof cbor.Tagged && item.tag === tag, `${what}: want CBOR tag ${tag}`);
  return item.value;
}

// The RMM 1.0 token: tag 399 around {44234: platform bstr, 44241: realm bstr}.
function splitToken(bytes) {
  const map = untag(decodeStrict(bytes, 'token'), 399, 'token');
  format(map instanceof Map && map.size === 2 && map.has(44234) && map.has(44241),
    'token: want a map of exactly 44234 (platform) and 44241 (realm)');
  const platform = map.get(44234);
  const realm = map.get(44241);
  format(isBytes(platform) && isBytes(realm), 'token: both entries must be byte strings');
  return { platform, realm };
}

function coseSign1(bytes, what) {
  const arr = untag(decodeStrict(bytes, what), 18, what);
  format(Array.isArray(arr) && arr.length === 4, `${what}: want a COSE_Sign1 array of 4`);
  const [protectedBytes, unprotected, payload, signature] = arr;
  format(isBytes(protectedBytes) && unprotected instanceof Map && isBytes(payload) &&
    isBytes(signature), `${what}: want [bstr, map, bstr, bstr]`);
  const header = decodeStrict(protectedBytes, `${what} protected header`);
  format(header instanceof Map && header.size === 1 && header.has(1),
    `${what}: the protected header must be {1: alg}`);
  const alg = ES[String(header.get(1))];
  format(alg !== undefined, `${what}: algorithm ${header.get(1)} is not ES256/384/512`);
  format(signature.length === 2 * alg.size,
    `${what}: signature of ${signature.length} bytes, want raw r||s of ${2 * alg.size}`);
  return { protectedBytes, payload, signature, alg };
}

// --- claims ------------------------------------------------------------------

function claimsMap(bytes, what) {
  const map = decodeStrict(bytes, what);
  format(map instanceof Map, `${what}: want a map`);
  for (const key of map.keys())
    format(typeof key === 'number', `${what}: key ${String(key)} is not an integer`);
  return map;
}

function realmClaims(payload, legacyAllowed) {
  const m = claimsMap(payload, 'realm claims');
  const allowed = [10, 44235, 44236, 44237, 44238, 44239, 44240, 265];
  for (const key of m.keys())
    format(allowed.includes(key), `realm claims: unexpected claim ${key}`);
  const need = (key, test, what) => {
    format(m.has(key), `realm claims: no ${what} (${key})`);
    format(test(m.get(key)), `realm claim ${what} (${key}): wrong type or size`);
    return m.get(key);
  };
  const c = {};
  c.challenge = need(10, (v) => isBytes(v) && v.length === 64, 'challenge');
  c.rpv = need(44235, (v) => isBytes(v) && v.length === 64, 'personalization value');
  c.hashAlgo = need(44236, (v) => v === 'sha-256' || v === 'sha-512', 'hash algorithm');
  const size = HASHES[c.hashAlgo].size;
  c.rim = need(44238, (v) => isBytes(v) && v.length === size, 'RIM');
  c.rems = need(44239, (v) => Array.isArray(v) && v.length === 4 &&
    v.every((r) => isBytes(r) && r.length === size), 'REMs');
  c.rakHashAlgo = need(44240, (v) => isText(v) && v in HASHES, 'RAK hash algorithm');
  c.rak = need(44237, isBytes, 'RAK');
  if (m.has(265)) {
    c.profile = need(265, (v) => v === REALM_PROFILE, 'profile');
    c.rakKey = coseKeyToPublicKey(c.rak);
  } else {
    format(legacyAllowed,
      'realm claims: no profile (265): the legacy form, accepted only with --legacy');
    c.rakKey = rawPointToPublicKey(c.rak);
  }
  return c;
}

function p384Jwk(x, y) {
  try {
    return crypto.createPublicKey({
      key: { kty: 'EC', crv: 'P-384', x: x.toString('base64url'), y: y.toString('base64url') },
      format: 'jwk',
    });
  } catch (e) {
    return reject('format', `realm public key: not a P-384 point: ${e.message}`);
  }
}

// attestation.md 2.2: {1: 2 (EC2), -1: 2 (P-384), -2: x, -3: y}.
function coseKeyToPublicKey(bytes) {
  const k = decodeStrict(bytes, 'realm public key (COSE_Key)');
  format(k instanceof Map && k.size === 4 && k.get(1) === 2 && k.get(-1) === 2,
    'realm public key: want a COSE_Key of 4 entries, kty EC2, crv P-384');
  const x = k.get(-2);
  const y = k.get(-3);
  format(isBytes(x) && isBytes(y) && x.length === 48 && y.length === 48,
    'realm public key: want x and y of 48 bytes');
  return p384Jwk(x, y);
}

// The legacy form: the uncompressed point 0x04 || x || y.
function rawPointToPublicKey(bytes) {
  format(bytes.length === 97 && bytes[0] === 4,
    'realm public key: want a 97-byte uncompressed P-384 point (legacy form)');
  return p384Jwk(bytes.subarray(1, 49), bytes.subarray(49));
}

function platformClaims(payload, legacyAllowed) {
  const m = claimsMap(payload, 'platform claims');
  const types = {
    265: isText, 10: isBytes, 2396: isBytes, 256: isBytes, 2401: isBytes,
    2395: isUint, 2399: Array.isArray, 2400: isText, 2402: isText,
  };
  for (const [key, test] of Object.entries(types)) {
    if (m.has(Number(key)))
      format(test(m.get(Number(key))), `platform claim ${key}: wrong type`);
  }
  format(m.has(265) && m.has(10), 'platform claims: want the profile (265) and the challenge (10)');
  const kind = PLATFORM_PROFILES[m.get(265)];
  format(kind === 'current' || (kind === 'legacy' && legacyAllowed),
    `platform claims: profile "${m.get(265)}" not accepted` +
    (kind === 'legacy' ? ' without --legacy' : ''));
  for (const [i, sw] of (m.get(2399) || []).entries()) {
    format(sw instanceof Map && sw.has(2) && sw.has(5),
      `platform software component ${i}: want a map with 2 (measurement) and 5 (signer id)`);
    for (const [key, value] of sw) {
      const test = { 1: isText, 2: isBytes, 4: isText, 5: isBytes, 6: isText }[key];
      format(test !== undefined && test(value),
        `platform software component ${i}: claim ${key}: unexpected or wrong type`);
    }
  }
  return { challenge: m.get(10), profile: m.get(265) };
}

// --- signatures --------------------------------------------------------------

// RFC 9052 4.4: ["Signature1", protected (as received), external_aad h'', payload].
function toBeSigned(sign1) {
  return cbor.encodeOne(['Signature1', sign1.protectedBytes, Buffer.alloc(0), sign1.payload]);
}

function signatureVerifies(sign1, key) {
  return crypto.verify(sign1.alg.hash, toBeSigned(sign1),
    { key, dsaEncoding: 'ieee-p1363' }, sign1.signature);
}

// --- expected values -----------------------------------------------------------

function compareExpected(realm, expectPath) {
  let want;
  try {
    want = JSON.parse(fs.readFileSync(expectPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`--expect ${expectPath}: ${e.message}`);
  }
  const hex = (b) => b.toString('hex');
  for (const key of ['challenge', 'rim', 'rems', 'hash_algo']) {
    if (want[key] === undefined)
      throw new UsageError(`--expect ${expectPath}: no ${key}`);
  }
  const algo = { 0: 'sha-256', 1: 'sha-512' }[want.hash_algo] || want.hash_algo;
  const pairs = [
    ['challenge', hex(realm.challenge), String(want.challenge).toLowerCase().padEnd(128, '0')],
    ['rim', hex(realm.rim), String(want.rim).toLowerCase()],
    ['hash_algo', realm.hashAlgo, algo],
  ];
  if (want.rpv !== undefined)
    pairs.push(['rpv', hex(realm.rpv), String(want.rpv).toLowerCase()]);
  if (!Array.isArray(want.rems) || want.rems.length !== 4)
    throw new UsageError(`--expect ${expectPath}: rems must be an array of 4`);
  want.rems.forEach((r, i) => pairs.push([`rems[${i}]`, hex(realm.rems[i]), String(r).toLowerCase()]));
  for (const [name, got, expected] of pairs) {
    if (got !== expected)
      reject('expect', `realm claim ${name} is ${got}, want ${expected}`);
  }
}

// --- main ----------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { legacy: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--platform-key' || a === '--expect') {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a file`);
      opts[a === '--expect' ? 'expect' : 'platformKey'] = argv[++i];
    } else if (a === '--legacy') {
      opts.legacy = true;
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`);
    } else if (opts.token === undefined) {
      opts.token = a;
    } else {
      throw new UsageError(`one token only, got ${a} too`);
    }
  }
  if (opts.token === undefined) throw new UsageError('no token given');
  return opts;
}

function readFile(path) {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new UsageError(`${path}: ${e.message}`);
  }
}

function readPlatformKey(path) {
  try {
    return crypto.createPublicKey(readFile(path));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path}: not a public key: ${e.message}`);
  }
}

function verify(opts) {
  const tokenBytes = readFile(opts.token);
  const platformKey = opts.platformKey && readPlatformKey(opts.platformKey);
  const lines = [];
  const parts = splitToken(tokenBytes);
  const platformSign1 = coseSign1(parts.platform, 'platform token');
  const realmSign1 = coseSign1(parts.realm, 'realm token');
  format(realmSign1.alg.name === 'ES384', 'realm token: want ES384');
  const realm = realmClaims(realmSign1.payload, opts.legacy);
  const platform = platformClaims(platformSign1.payload, opts.legacy);
  lines.push(`format: ok (${realm.profile ? 'RMM 1.0' : 'legacy'} form)`);

  if (!signatureVerifies(realmSign1, realm.rakKey))
    reject('realm-signature', 'realm token: the signature does not verify with the realm public key');
  lines.push('realm-signature: ok');

  const digest = crypto.createHash(HASHES[realm.rakHashAlgo].node).update(realm.rak).digest();
  if (!digest.equals(platform.challenge))
    reject('binding', `platform challenge is not the ${realm.rakHashAlgo} of the realm public key`);
  lines.push(`binding: ok (platform challenge = ${realm.rakHashAlgo}(realm public key))`);

  if (platformKey) {
    const curve = platformKey.asymmetricKeyDetails && platformKey.asymmetricKeyDetails.namedCurve;
    if (curve !== platformSign1.alg.curve)
      reject('platform-signature', `platform token is ${platformSign1.alg.name}: the key must be on ${platformSign1.alg.curve}`);
    if (!signatureVerifies(platformSign1, platformKey))
      reject('platform-signature', 'platform token: the signature does not verify with the platform key');
    lines.push('platform-signature: ok');
  } else {
    lines.push('platform-signature: NOT CHECKED (no --platform-key)');
  }

  if (opts.expect) {
    compareExpected(realm, opts.expect);
    lines.push(`expected claims: ok (${opts.expect})`);
  }
  return lines;
}

function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
    const lines = verify(opts);
    console.log(`verified: ${opts.token}`);
    for (const l of lines) console.log(`  ${l}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`verify.js: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof Rejected) {
      console.log(`FAILED: ${opts.token}: ${e.check}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
