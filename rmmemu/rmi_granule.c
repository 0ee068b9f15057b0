/* SPDX-License-Identifier: BSD-3-Clause */
/* GRANULE_DELEGATE and GRANULE_UNDELEGATE (rmi-1.0.md 8.2, 8.3). */
#include "granule.h"
#include "rmi.h"

/*
 * Delegation moves the granule out of the host's reach: its contents live in
 * rmmemu's private backing from now on and the host's page is zeroed, so the
 * host reads zeros where realm data will be.
 */
uint64_t rmi_granule_delegate(struct rmm *rmm, const uint64_t x[7],
			      struct rmi_result *res)
{
	struct granule *g = granule_find_lock(rmm, x[1], GRANULE_STATE_NS);

	(void)res;
	if (g == NULL)
		return RMI_ERROR_INPUT;
	granule_scrub_ns(rmm, g);
	/* The private backing of an NS granule is released, hence zero: the
	 * invariant that a DELEGATED granule contains zeros holds. */
	granule_priv_populate(rmm, g);
	granule_set_state(g, GRANULE_STATE_DELEGATED);
	granule_unlock(g);
	return RMI_SUCCESS;
}

/* Scrubs both views before the host gets the page back, whatever the host
 * wrote into its own view while the granule was delegated. */
uint64_t rmi_granule_undelegate(struct rmm *rmm, const uint64_t x[7],
				struct rmi_result *res)
{
	struct granule *g = granule_find_lock(rmm, x[1], GRANULE_STATE_DELEGATED);

	(void)res;
	if (g == NULL)
		return RMI_ERROR_INPUT;
	granule_priv_release(rmm, g);
	granule_scrub_ns(rmm, g);
	granule_set_state(g, GRANULE_STATE_NS);
	granule_unlock(g);
	return RMI_SUCCESS;
}
