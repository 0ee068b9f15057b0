/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The executor rmm-run plugs into its in-process RMM to run realm code.
 * One function, so that the executor a build has (the KVM executor on
 * arm64 Linux with /dev/kvm) is chosen in one place.
 */
#ifndef TOOLS_RUN_EXECUTOR_H
#define TOOLS_RUN_EXECUTOR_H

struct rmm_executor_ops;

/*
 * The executor's ops, with its context in *ctx (for rmm_set_executor()), or
 * NULL when none can run realms here: none is built in, or the machine has
 * no usable /dev/kvm. why then says which, in words for the user. rmm-run
 * builds the realm and prints its RIM either way; without an executor it
 * stops there with VMM_EXIT_NO_EXECUTOR.
 */
const struct rmm_executor_ops *rmm_run_executor(void **ctx, const char **why);
/* Frees the context of rmm_run_executor(), after rmm_free() of the RMM
 * that used it. */
void rmm_run_executor_release(void *ctx);

#endif /* TOOLS_RUN_EXECUTOR_H */
