/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The KVM API, included before rmmemu's own headers: <linux/kvm.h> brings
 * <linux/psci.h>, whose PSCI_RET_* return codes rmmemu's ABI header defines
 * again as the 64-bit values a realm sees (rmi-1.0.h). The kernel's go.
 */
#ifndef RMMEMU_EXECUTOR_KVM_UAPI_H
#define RMMEMU_EXECUTOR_KVM_UAPI_H

#include <linux/kvm.h>

#undef PSCI_RET_SUCCESS
#undef PSCI_RET_NOT_SUPPORTED
#undef PSCI_RET_INVALID_PARAMS
#undef PSCI_RET_DENIED
#undef PSCI_RET_ALREADY_ON
#undef PSCI_RET_ON_PENDING
#undef PSCI_RET_INTERNAL_FAILURE
#undef PSCI_RET_NOT_PRESENT
#undef PSCI_RET_DISABLED
#undef PSCI_RET_INVALID_ADDRESS

#endif /* RMMEMU_EXECUTOR_KVM_UAPI_H */
