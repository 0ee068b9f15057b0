/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmm-run's executor choice: the KVM executor (executor/) when the build
 * has it (arm64 hosts) and the machine has a usable /dev/kvm, else none.
 */
#include <errno.h>
#include <stddef.h>

#include "run-executor.h"
#ifdef HAVE_KVM_EXECUTOR
#include "executor/kvm.h"
#endif

#ifdef HAVE_KVM_EXECUTOR
const struct rmm_executor_ops *rmm_run_executor(void **ctx, const char **why)
{
	struct kvm_executor *ex;
	int err = kvm_executor_create(&ex);

	*ctx = NULL;
	if (err != 0) {
		*why = err == -ENODEV ? "no usable /dev/kvm here for the KVM executor" :
					"the KVM executor cannot start";
		return NULL;
	}
	*ctx = ex;
	return kvm_executor_ops();
}

void rmm_run_executor_release(void *ctx)
{
	kvm_executor_free(ctx);
}
#else
const struct rmm_executor_ops *rmm_run_executor(void **ctx, const char **why)
{
	*ctx = NULL;
	*why = "this rmm-run has no KVM executor built in";
	return NULL;
}

void rmm_run_executor_release(void *ctx)
{
	(void)ctx;
}
#endif
