/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * realm-bench: how fast realm code runs under the KVM executor, inside the
 * devbox (bench/realm-bench.sh boots it) or on an arm64 machine with
 * /dev/kvm. Prints, from one run of this program:
 *  (a) the time from the command's start -- the moment the devbox's /init
 *      starts it -- to the last line the hello realm prints under rmm-run,
 *      and its parts, from rmm-run --stats: rmm-run's start-up, the realm
 *      build with its RMI calls, the first REC_ENTER to the first UART
 *      byte, to the last line, to SYSTEM_OFF; then the same for later runs
 *      of rmm-run (their median, from rmm-run's start);
 *  (b) the REC exit round trip (REC_ENTER -> MMIO exit to the host -> the
 *      next REC_ENTER) as a ratio to a plain KVM MMIO exit round trip, from
 *      executor/tests/test_kvm --round-trip (the medians of its rounds).
 * Both figures next to their goals. Nothing here judges a time: it fails
 * only when a program does not run or does not say what it should.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HELLO_GOAL_MS		1000.0
#define ROUND_TRIP_GOAL		1.5
#define MAX_RUNS		100
#define DEFAULT_RUNS		5
#define DEFAULT_ROUNDS		5
/* What the devbox's /init runs the command from (devbox/init). */
#define DEVBOX_CMD		"/devbox/cmd"

struct options {
	unsigned int runs, rounds;
	const char *rmm_run, *realm, *test_kvm;
	char paths[3][4096];	/* the defaults, under $top_builddir */
};

/* ---- clocks ------------------------------------------------------------- */

/* CLOCK_BOOTTIME: the clock of a process's start time in /proc. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* The parent and start time (ns since boot) of pid, from /proc/PID/stat
 * (proc(5): fields 4 and 22, the latter in clock ticks). */
static int proc_stat(pid_t pid, pid_t *ppid, int64_t *start_ns)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	long tck = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;
	int parent;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name in parentheses may hold anything: fields start after
	 * its last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || tck <= 0 ||
	    sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
		   "%*d %*d %*d %*d %llu", &parent, &ticks) != 2)
		return -1;
	*ppid = parent;
	*start_ns = (int64_t)(ticks * 1000000000ULL / (unsigned long long)tck);
	return 0;
}

/*
 * When the command started: in the devbox, the start of the process /init
 * (PID 1) started, this one or an ancestor. Kept in clock ticks by the
 * kernel (10 ms): the true start is up to a tick later. Elsewhere, now.
 */
static int64_t command_start_ns(bool *in_devbox)
{
	pid_t pid = getpid(), ppid = 0;
	int64_t start;

	*in_devbox = false;
	if (access(DEVBOX_CMD, F_OK) != 0)
		return now_ns();
	while (proc_stat(pid, &ppid, &start) == 0 && ppid > 1)
		pid = ppid;
	if (ppid != 1)
		return now_ns();
	*in_devbox = true;
	return start;
}

/* ---- running a program, its lines timed ------------------------------------ */

struct stream {
	int fd;
	char *buf;		/* everything read, NUL-terminated */
	size_t len, cap;
	int64_t last_line_ns;	/* arrival of the last complete line; -1: none */
};

struct child {
	struct stream out, err;
	int64_t start_ns, exit_ns;
	int status;		/* waitpid's */
};

static int stream_read(struct stream *s)
{
	char chunk[4096];
	ssize_t n = read(s->fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0) {
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	if (s->len + (size_t)n + 1 > s->cap) {
		size_t cap = (s->len + (size_t)n + 1) * 2;
		char *buf = realloc(s->buf, cap);

		if (buf == NULL)
			return -1;
		s->buf = buf;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, chunk, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
	if (chunk[n - 1] == '\n')
		s->last_line_ns = now_ns();
	return 0;
}

static int child_poll(struct child *c)
{
	struct pollfd p[2] = { { c->out.fd, POLLIN, 0 }, { c->err.fd, POLLIN, 0 } };

	if (poll(p, 2, -1) < 0)
		return errno == EINTR ? 0 : -1;
	if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && stream_read(&c->out) != 0)
		return -1;
	if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && stream_read(&c->err) != 0)
		return -1;
	return 0;
}

/* Reads both streams until both end. On an error they are closed, so
 * that the program cannot block on them. */
static int child_collect(struct child *c)
{
	while (c->out.fd >= 0 || c->err.fd >= 0) {
		if (child_poll(c) != 0) {
			if (c->out.fd >= 0)
				close(c->out.fd);
			if (c->err.fd >= 0)
				close(c->err.fd);
			c->out.fd = c->err.fd = -1;
			return -1;
		}
	}
	return 0;
}

/* Runs argv with its standard output and error read here; 0, or -1 when
 * it could not be run (reported). */
static int child_run(char *const argv[], struct child *c)
{
	int out[2], err[2], ret;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->out.last_line_ns = c->err.last_line_ns = -1;
	if (pipe(out) != 0 || pipe(err) != 0) {
		perror("realm-bench: pipe");
		return -1;
	}
	c->start_ns = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("realm-bench: fork");
		return -1;
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		execv(argv[0], argv);
		fprintf(stderr, "realm-bench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	c->out.fd = out[0];
	c->err.fd = err[0];
	ret = child_collect(c);
	if (ret != 0)
		perror("realm-bench: reading its output");
	while (waitpid(pid, &c->status, 0) < 0) {
		if (errno != EINTR) {
			perror("realm-bench: waitpid");
			return -1;
		}
	}
	c->exit_ns = now_ns();
	return ret;
}

static void child_free(struct child *c)
{
	free(c->out.buf);
	free(c->err.buf);
}

static bool exited_zero(const struct child *c)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

/* Why a program failed, with what it printed. */
static void child_report(const char *what, const struct child *c)
{
	if (WIFEXITED(c->status))
		fprintf(stderr, "realm-bench: %s exited with status %d\n", what,
			WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		fprintf(stderr, "realm-bench: %s killed by signal %d\n", what,
			WTERMSIG(c->status));
	fprintf(stderr, "--- its output:\n%s--- its errors:\n%s---\n",
		c->out.buf != NULL ? c->out.buf : "", c->err.buf != NULL ? c->err.buf : "");
}

/* ---- (a) hello under rmm-run ------------------------------------------------- */

/* One run's milestones, ms from rmm-run's fork. */
enum milestone {
	M_FORK,			/* 0 */
	M_CLOCK,		/* rmm-run's own clock starts (vmm_new) */
	M_BUILT,
	M_FIRST_ENTER,
	M_FIRST_UART,
	M_LAST_LINE,
	M_SYSTEM_OFF,
	M_EXITED,
	M_COUNT
};

struct hello_run {
	int64_t fork_ns;
	double t[M_COUNT];
	unsigned long long rmi_calls;	/* of the build */
	char last_text[160];		/* the realm's last line */
};

/* rmm-run --stats's milestone line (tools/vmm/run.c), ms on its clock. */
static int parse_times(const char *err, struct hello_run *r)
{
	const char *p = strstr(err, "rmm-run: times (ms after start): ");

	if (p == NULL ||
	    sscanf(p, "rmm-run: times (ms after start): built %lf (%llu RMI calls), "
		   "first REC_ENTER %lf, first UART byte %lf, last line %lf, SYSTEM_OFF %lf",
		   &r->t[M_BUILT], &r->rmi_calls, &r->t[M_FIRST_ENTER], &r->t[M_FIRST_UART],
		   &r->t[M_LAST_LINE], &r->t[M_SYSTEM_OFF]) != 6)
		return -1;
	return 0;
}

static void last_line_of(const char *out, char *text, size_t size)
{
	size_t len = strlen(out), start;

	while (len > 0 && out[len - 1] == '\n')
		len--;
	start = len;
	while (start > 0 && out[start - 1] != '\n')
		start--;
	snprintf(text, size, "%.*s", (int)(len - start), out + start);
}

/*
 * rmm-run --stats REALM: it must power the realm off (exit status 0) with
 * output on the UART. Its milestones are on its own clock, which starts
 * after its start-up; the arrival here of the realm's last line puts them
 * on this program's clock.
 */
static int hello_run(const struct options *o, struct hello_run *r)
{
	char *argv[] = { (char *)o->rmm_run, "--stats", (char *)o->realm, NULL };
	struct child c;
	double clock;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (child_run(argv, &c) != 0)
		return -1;
	if (!exited_zero(&c) || c.out.last_line_ns < 0) {
		child_report("rmm-run", &c);
	} else if (parse_times(c.err.buf != NULL ? c.err.buf : "", r) != 0) {
		fprintf(stderr, "realm-bench: no milestone line in rmm-run --stats's output\n");
		child_report("rmm-run", &c);
	} else {
		r->fork_ns = c.start_ns;
		clock = ms(c.out.last_line_ns - c.start_ns) - r->t[M_LAST_LINE];
		for (unsigned int m = M_BUILT; m <= M_SYSTEM_OFF; m++)
			r->t[m] += clock;
		r->t[M_CLOCK] = clock;
		r->t[M_EXITED] = ms(c.exit_ns - c.start_ns);
		last_line_of(c.out.buf, r->last_text, sizeof(r->last_text));
		ret = 0;
	}
	child_free(&c);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median over runs[0..n) of milestone to minus milestone from. */
static double median_step(const struct hello_run *runs, unsigned int n,
			  enum milestone from, enum milestone to)
{
	double v[MAX_RUNS];

	for (unsigned int i = 0; i < n; i++)
		v[i] = runs[i].t[to] - runs[i].t[from];
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* One line of the tables: a name, a figure with prec decimals, the median
 * of the later runs (NAN: none), the goal ("": none). */
static void row(const char *name, double figure, int prec, double later, const char *goal)
{
	printf("  %-44s %10.*f", name, prec, figure);
	if (!isnan(later))
		printf(" %12.*f", prec, later);
	else if (goal[0] != '\0')
		printf(" %12s", "");
	if (goal[0] != '\0')
		printf("  %s", goal);
	printf("\n");
}

static void print_hello(const char *realm, const struct hello_run *runs, unsigned int n,
			int64_t cmd_ns, bool in_devbox)
{
	static const struct {
		const char *name;	/* NULL: the build, with its calls */
		enum milestone from, to;
	} steps[] = {
		{ "rmm-run start-up (exec, RMM, KVM executor)", M_FORK, M_CLOCK },
		{ NULL, M_CLOCK, M_BUILT },
		{ "built -> first REC_ENTER", M_BUILT, M_FIRST_ENTER },
		{ "first REC_ENTER -> first UART byte", M_FIRST_ENTER, M_FIRST_UART },
		{ "first UART byte -> last line", M_FIRST_UART, M_LAST_LINE },
		{ "last line -> SYSTEM_OFF", M_LAST_LINE, M_SYSTEM_OFF },
		{ "SYSTEM_OFF -> rmm-run exited (teardown)", M_SYSTEM_OFF, M_EXITED },
	};
	const struct hello_run *first = &runs[0];
	double to_fork = ms(first->fork_ns - cmd_ns);
	char build[64], goal[32];

	snprintf(build, sizeof(build), "realm build (%llu RMI calls)", first->rmi_calls);
	snprintf(goal, sizeof(goal), "goal < %.0f", HELLO_GOAL_MS);
	printf("%s under rmm-run --stats; its last line: %s\n",
	       strrchr(realm, '/') != NULL ? strrchr(realm, '/') + 1 : realm, first->last_text);
	printf("  %-44s %10s", "ms", "first run");
	if (n > 1)
		printf(" %12s", "later runs");
	printf("\n");
	row(in_devbox ? "devbox command start -> rmm-run started" :
	    "realm-bench start -> rmm-run started", to_fork, 1, NAN, "");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum milestone from = steps[i].from, to = steps[i].to;

		row(steps[i].name != NULL ? steps[i].name : build, first->t[to] - first->t[from],
		    1, n > 1 ? median_step(runs + 1, n - 1, from, to) : NAN, "");
		if (to == M_LAST_LINE)
			row(in_devbox ? "= devbox up -> the realm's last line" :
			    "= start -> the realm's last line", to_fork + first->t[M_LAST_LINE], 1,
			    n > 1 ? median_step(runs + 1, n - 1, M_FORK, M_LAST_LINE) : NAN, goal);
	}
	printf("  (the first run from %s", in_devbox ? "the devbox command's start, to "
	       "10 ms" : "realm-bench's start");
	if (n > 1)
		printf("; later runs: the median of %u, from rmm-run's start", n - 1);
	printf(")\n");
}

/* ---- (b) the REC exit round trip ---------------------------------------------- */

struct round_trip {
	double rec_us, kvm_us, ratio;
	unsigned int rounds, samples;
};

/* test_kvm's summary line, or with one round its only round's line. */
static int parse_round_trip(const char *out, struct round_trip *rt)
{
	const char *p = strstr(out, "round trip: median of ");

	if (p != NULL)
		return sscanf(p, "round trip: median of %u rounds of %u: REC_ENTER -> MMIO exit "
			      "-> REC_ENTER %lf us; plain KVM MMIO exit %lf us; ratio %lf",
			      &rt->rounds, &rt->samples, &rt->rec_us, &rt->kvm_us,
			      &rt->ratio) == 5 ? 0 : -1;
	p = strstr(out, "round trip: REC_ENTER");
	rt->rounds = 1;
	rt->samples = 0;
	if (p == NULL ||
	    sscanf(p, "round trip: REC_ENTER -> MMIO exit -> REC_ENTER: median %lf us; plain "
		   "KVM MMIO exit: median %lf us; ratio %lf", &rt->rec_us, &rt->kvm_us,
		   &rt->ratio) != 3)
		return -1;
	return 0;
}

static int round_trip_run(const struct options *o, struct round_trip *rt)
{
	char rounds[16];
	char *argv[] = { (char *)o->test_kvm, "--round-trip", rounds, NULL };
	struct child c;
	int ret = -1;

	snprintf(rounds, sizeof(rounds), "%u", o->rounds);
	if (child_run(argv, &c) != 0)
		return -1;
	if (!exited_zero(&c))
		child_report("test_kvm --round-trip", &c);
	else if (parse_round_trip(c.out.buf != NULL ? c.out.buf : "", rt) != 0)
		child_report("test_kvm --round-trip (no round trip line)", &c);
	else
		ret = 0;
	child_free(&c);
	return ret;
}

static void print_round_trip(const struct round_trip *rt)
{
	char goal[32];

	snprintf(goal, sizeof(goal), "goal <= %.1f", ROUND_TRIP_GOAL);
	printf("REC exit round trip, test_kvm --round-trip: the median of %u round%s",
	       rt->rounds, rt->rounds == 1 ? "" : "s");
	if (rt->samples != 0)
		printf(" (each the median of %u)", rt->samples);
	printf("\n");
	row("us REC_ENTER -> MMIO exit -> REC_ENTER", rt->rec_us, 1, NAN, "");
	row("us plain KVM_RUN -> MMIO exit", rt->kvm_us, 1, NAN, "");
	row("= ratio", rt->ratio, 2, NAN, goal);
}

/* ---- main ------------------------------------------------------------------------ */

static const char usage_text[] =
"usage: realm-bench [--runs N] [--rounds N] [--rmm-run PATH] [--realm PATH]\n"
"                   [--test-kvm PATH]\n"
"\n"
"Runs rmm-run --stats REALM N times (default 5) and test_kvm --round-trip\n"
"with N rounds (default 5), and prints the time from the command's start\n"
"(in the devbox: when /init started it) to the realm's last line, with its\n"
"parts, and the REC exit round trip as a ratio to a plain KVM exit, each\n"
"next to its goal. The paths default to those under $top_builddir:\n"
"tools/rmm-run, realms/hello.elf, executor/tests/test_kvm.\n"
"Exits 1 when a program fails; never because of a time.\n";

/* $top_builddir/rel (. without it) in buf. */
static const char *in_build(const char *rel, char buf[4096])
{
	const char *top = getenv("top_builddir");

	snprintf(buf, 4096, "%s/%s", top != NULL ? top : ".", rel);
	return buf;
}

static int parse_count(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v < 1 || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	o->runs = DEFAULT_RUNS;
	o->rounds = DEFAULT_ROUNDS;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (arg == NULL ||
		    (strcmp(opt, "--runs") == 0 && parse_count(arg, MAX_RUNS, &o->runs) != 0) ||
		    (strcmp(opt, "--rounds") == 0 && parse_count(arg, 1000, &o->rounds) != 0)) {
			fprintf(stderr, "realm-bench: bad '%s%s%s'\n%s", opt, arg ? " " : "",
				arg ? arg : "", usage_text);
			return 2;
		}
		if (strcmp(opt, "--rmm-run") == 0)
			o->rmm_run = arg;
		else if (strcmp(opt, "--realm") == 0)
			o->realm = arg;
		else if (strcmp(opt, "--test-kvm") == 0)
			o->test_kvm = arg;
		else if (strcmp(opt, "--runs") != 0 && strcmp(opt, "--rounds") != 0) {
			fprintf(stderr, "realm-bench: unknown option '%s'\n%s", opt, usage_text);
			return 2;
		}
		i++;
	}
	if (o->rmm_run == NULL)
		o->rmm_run = in_build("tools/rmm-run", o->paths[0]);
	if (o->realm == NULL)
		o->realm = in_build("realms/hello.elf", o->paths[1]);
	if (o->test_kvm == NULL)
		o->test_kvm = in_build("executor/tests/test_kvm", o->paths[2]);
	return -1;
}

int main(int argc, char **argv)
{
	static struct hello_run runs[MAX_RUNS];
	static struct options o;
	struct round_trip rt;
	bool in_devbox;
	int64_t cmd_ns = command_start_ns(&in_devbox);
	int code = parse_options(argc, argv, &o);

	if (code >= 0)
		return code;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The first run before anything else: its time counts from the
	 * command's start. */
	for (unsigned int i = 0; i < o.runs; i++) {
		if (hello_run(&o, &runs[i]) != 0)
			return 1;
	}
	if (round_trip_run(&o, &rt) != 0)
		return 1;
	print_hello(o.realm, runs, o.runs, cmd_ns, in_devbox);
	print_round_trip(&rt);
	printf("realm-bench: REC exit round trip / plain KVM exit: %.2f (goal <= %.1f)\n",
	       rt.ratio, ROUND_TRIP_GOAL);
	printf("realm-bench: %s -> the realm's last line: %.0f ms (goal < %.0f ms)\n",
	       in_devbox ? "devbox up" : "start",
	       ms(runs[0].fork_ns - cmd_ns) + runs[0].t[M_LAST_LINE], HELLO_GOAL_MS);
	return 0;
}
