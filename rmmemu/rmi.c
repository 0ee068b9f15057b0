/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RMI dispatch: one table for the whole function-ID range 0x150..0x16F. A row
 * names the command, its handler and how many input/output registers it
 * uses (for the log and the call recorder); an empty row is an unused ID and
 * answers SMCCC NOT_SUPPORTED.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "instance.h"
#include "granule.h"
#include "log.h"
#include "realm.h"
#include "rmi.h"
#include "rmm.h"

struct rmi_command {
	const char *name;
	rmi_handler_fn handler;
	unsigned int num_args;		/* x1..xN read */
	unsigned int num_results;	/* x1..xN written */
};

#define FNUM(fid)	((fid) - RMI_FID_BASE)
#define ROW(fid, n, fn, in, out) \
	[FNUM(fid)] = { .name = (n), .handler = (fn), .num_args = (in), .num_results = (out) }

static const struct rmi_command rmi_commands[] = {
	ROW(RMI_VERSION, "VERSION", rmi_version, 1, 2),
	ROW(RMI_GRANULE_DELEGATE, "GRANULE_DELEGATE", rmi_granule_delegate, 1, 0),
	ROW(RMI_GRANULE_UNDELEGATE, "GRANULE_UNDELEGATE", rmi_granule_undelegate, 1, 0),
	ROW(RMI_DATA_CREATE, "DATA_CREATE", rmi_data_create, 5, 0),
	ROW(RMI_DATA_CREATE_UNKNOWN, "DATA_CREATE_UNKNOWN", rmi_data_create_unknown, 3, 0),
	ROW(RMI_DATA_DESTROY, "DATA_DESTROY", rmi_data_destroy, 2, 2),
	ROW(RMI_REALM_ACTIVATE, "REALM_ACTIVATE", rmi_realm_activate, 1, 0),
	ROW(RMI_REALM_CREATE, "REALM_CREATE", rmi_realm_create, 2, 0),
	ROW(RMI_REALM_DESTROY, "REALM_DESTROY", rmi_realm_destroy, 1, 0),
	ROW(RMI_REC_CREATE, "REC_CREATE", rmi_rec_create, 3, 0),
	ROW(RMI_REC_DESTROY, "REC_DESTROY", rmi_rec_destroy, 1, 0),
	ROW(RMI_REC_ENTER, "REC_ENTER", rmi_rec_enter, 2, 0),
	ROW(RMI_RTT_CREATE, "RTT_CREATE", rmi_rtt_create, 4, 0),
	ROW(RMI_RTT_DESTROY, "RTT_DESTROY", rmi_rtt_destroy, 3, 2),
	ROW(RMI_RTT_MAP_UNPROTECTED, "RTT_MAP_UNPROTECTED", rmi_rtt_map_unprotected, 4, 0),
	ROW(RMI_RTT_READ_ENTRY, "RTT_READ_ENTRY", rmi_rtt_read_entry, 3, 4),
	ROW(RMI_RTT_UNMAP_UNPROTECTED, "RTT_UNMAP_UNPROTECTED", rmi_rtt_unmap_unprotected, 3, 1),
	ROW(RMI_PSCI_COMPLETE, "PSCI_COMPLETE", rmi_psci_complete, 3, 0),
	ROW(RMI_FEATURES, "FEATURES", rmi_features, 1, 1),
	ROW(RMI_RTT_FOLD, "RTT_FOLD", rmi_rtt_fold, 3, 1),
	ROW(RMI_REC_AUX_COUNT, "REC_AUX_COUNT", rmi_rec_aux_count, 1, 1),
	ROW(RMI_RTT_INIT_RIPAS, "RTT_INIT_RIPAS", rmi_rtt_init_ripas, 3, 1),
	ROW(RMI_RTT_SET_RIPAS, "RTT_SET_RIPAS", rmi_rtt_set_ripas, 4, 1),
	[FNUM(RMI_FID_LAST)] = { NULL, NULL, 0, 0 },
};

_Static_assert(sizeof(rmi_commands) / sizeof(rmi_commands[0]) ==
	       RMI_FID_LAST - RMI_FID_BASE + 1,
	       "one row per function ID of the RMI range");

static const struct rmi_command *rmi_command_of(uint32_t fid)
{
	if (fid < RMI_FID_BASE || fid > RMI_FID_LAST)
		return NULL;
	return &rmi_commands[FNUM(fid)];
}

const char *rmi_command_name(uint32_t fid)
{
	const struct rmi_command *c = rmi_command_of(fid & ~RMI_FID_SVE_HINT);

	return c != NULL ? c->name : NULL;
}

int rmi_command_fid(const char *name, uint32_t *fid)
{
	if (strncmp(name, "RMI_", 4) == 0)
		name += 4;
	for (uint32_t i = 0; i < sizeof(rmi_commands) / sizeof(rmi_commands[0]); i++) {
		if (rmi_commands[i].name != NULL &&
		    strcmp(rmi_commands[i].name, name) == 0) {
			*fid = RMI_FID_BASE + i;
			return 0;
		}
	}
	return -1;
}

static void log_call(uint32_t fid, const struct rmi_command *c,
		     const uint64_t x[7], const uint64_t out[5])
{
	char args[160] = "", results[160] = "";
	size_t n = 0;

	for (unsigned int i = 1; i <= c->num_args && n < sizeof(args); i++)
		n += (size_t)snprintf(args + n, sizeof(args) - n, "%s0x%" PRIx64,
				      i > 1 ? ", " : "", x[i]);
	n = 0;
	for (unsigned int i = 1; i <= c->num_results && n < sizeof(results); i++)
		n += (size_t)snprintf(results + n, sizeof(results) - n,
				      " x%u=0x%" PRIx64, i, out[i]);
	rmm_log(RMM_LOG_DEBUG, "RMI_%s(%s) -> 0x%" PRIx64 "%s [fid 0x%x]",
		c->name, args, out[0], results, fid);
}

void rmm_call(struct rmm *rmm, const uint64_t x[7], uint64_t out[5])
{
	/* The FID is the low 32 bits of x0; the SVE hint bit is not part of it. */
	uint32_t fid = (uint32_t)x[0] & ~RMI_FID_SVE_HINT;
	const struct rmi_command *c = rmi_command_of(fid);
	struct rmi_result res = { .x = { 0, 0, 0, 0, x[4] } };

	if (c == NULL || c->handler == NULL) {
		res.x[0] = SMCCC_NOT_SUPPORTED;
		rmm_log(RMM_LOG_DEBUG, "unknown function 0x%" PRIx64 " -> NOT_SUPPORTED",
			x[0]);
	} else {
		res.x[0] = c->handler(rmm, x, &res);
	}
	memcpy(out, res.x, sizeof(res.x));
	if (c != NULL && c->handler != NULL && rmm_log_enabled(RMM_LOG_DEBUG))
		log_call(fid, c, x, out);
}

uint64_t rmi_with_rd(struct rmm *rmm, const uint64_t x[7],
		     struct rmi_result *res, rmi_realm_fn fn)
{
	struct granule *g_rd = granule_find_lock(rmm, x[1], GRANULE_STATE_RD);
	uint64_t ret;

	if (g_rd == NULL)
		return RMI_ERROR_INPUT;
	ret = fn(rmm, realm_from_rd(g_rd), x, res);
	granule_unlock(g_rd);
	return ret;
}

/* spec: VERSION reports lower = higher = 1.0, on success and on failure. */
uint64_t rmi_version(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res)
{
	(void)rmm;
	res->x[1] = RMI_ABI_VERSION_1_0;
	res->x[2] = RMI_ABI_VERSION_1_0;
	return x[1] == RMI_ABI_VERSION_1_0 ? RMI_SUCCESS : RMI_ERROR_INPUT;
}

uint64_t rmi_features(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res)
{
	res->x[1] = x[1] == 0 ? rmm->feat0 : 0;
	return RMI_SUCCESS;
}
