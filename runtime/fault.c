/* fault.c: FORKBAND_FAULT, the test switch that makes workers fail on purpose. */
#include "compat.h"

#include "fault.h"

#include "error.h"
#include "pool.h"
#include "shared_mem.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { F_NONE, F_CRASH, F_HANG, F_EXIT, F_KILL_IN_LOCK, F_SIGNAL };

/* Written by the workers: shared. */
struct shared {
	uint64_t started;	/* chunks started in this pass (matching passes only) */
	uint64_t target;	/* first row + 1 of the chunk a chunk=N fault picked; 0: none yet */
	uint64_t fired;		/* times the fault has fired in this run */
	uint64_t last_step;	/* every=K: the step it last fired in, + 1 */
};

static struct {
	enum kind kind;
	int64_t chunk, worker, times, code, sig, every;
	char pass[64];
	char at[32];		/* signal: the point in the parent */
	struct shared *sh;
} fault;

bool fb_fault_armed(void)
{
	return fault.kind != F_NONE;
}

static int bad(const char *spec, const char *why)
{
	return fb_error("FORKBAND_FAULT: %s, got '%s' (see docs/reliability.md)", why, spec);
}

/* A decimal integer from 0 to 2^31 - 1, digits only (fb_parse_count()). */
static bool parse_int(const char *s, int64_t *out)
{
	uint64_t v;

	if (!fb_parse_count(s, INT32_MAX, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

/* The points in the parent where a signal fault can fire (fb_fault_point()). */
static const char *const points[] = { "after-mkstemp", "after-rename", NULL };

static bool parse_point(const char *s, char *out, size_t len)
{
	for (size_t i = 0; points[i]; i++)
		if (strcmp(s, points[i]) == 0) {
			snprintf(out, len, "%s", s);
			return true;
		}
	return false;
}

/* A signal whose default action ends the process: a crash has to end the worker. */
static bool kills(int64_t sig)
{
	static const int spared[] = { SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT, SIGCHLD,
				      SIGWINCH, SIGURG };

	for (size_t i = 0; i < FB_ARRAY_LEN(spared); i++)
		if (sig == spared[i])
			return false;
	return sig > 0 && sig < NSIG;
}

static bool parse_signal(const char *s, int64_t *out)
{
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);

		if (abbrev && strcmp(abbrev, s) == 0) {
			*out = i;
			return kills(i);
		}
	}
	return parse_int(s, out) && kills(*out);
}

int fb_fault_init(void)
{
	static const char *const kinds[] = { "", "crash", "hang", "exit", "kill-in-lock",
					     "signal" };
	static const char *const keys[] = { "chunk", "worker", "times", "code", "sig", "pass",
					    "at", "every" };
	const char *env = getenv("FORKBAND_FAULT");
	char spec[256], *colon, *key, *save = NULL;
	unsigned seen = 0;

	if (!env || !*env)
		return 0;
	if (strlen(env) >= sizeof(spec))
		return bad(env, "expected a short KIND:KEY=VALUE,... switch");
	strcpy(spec, env);
	fault = (typeof(fault)){ .chunk = -1, .worker = -1, .times = 1, .code = 3,
				 .sig = SIGSEGV };
	colon = strchr(spec, ':');
	if (colon)
		*colon = '\0';
	for (int k = 1; k < (int)FB_ARRAY_LEN(kinds); k++)
		if (strcmp(spec, kinds[k]) == 0)
			fault.kind = (enum kind)k;
	if (fault.kind == F_NONE)
		return bad(env, "expected crash, hang, exit, kill-in-lock or signal before the ':'");
	/* strtok_r() would skip empty fields: "crash:,chunk=1" and "chunk=1,," are not
	 * switches anyone meant. */
	if (colon && (!colon[1] || colon[1] == ',' || spec[strlen(env) - 1] == ',' ||
		      strstr(colon + 1, ",,"))) {
		fault.kind = F_NONE;
		return bad(env, "expected KEY=VALUE fields separated by single commas");
	}
	for (key = colon ? strtok_r(colon + 1, ",", &save) : NULL; key;
	     key = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(key, '=');
		const char *v = eq ? eq + 1 : "";
		bool ok;

		if (eq)
			*eq = '\0';
		for (unsigned k = 0; k < FB_ARRAY_LEN(keys); k++) {
			if (strcmp(key, keys[k]) != 0)
				continue;
			if (seen & (1u << k)) {
				fault.kind = F_NONE;
				return bad(env, "expected each key once");
			}
			seen |= 1u << k;
		}
		if (strcmp(key, "chunk") == 0)
			ok = parse_int(v, &fault.chunk);
		else if (strcmp(key, "worker") == 0)
			ok = parse_int(v, &fault.worker);
		else if (strcmp(key, "times") == 0)
			ok = parse_int(v, &fault.times);
		else if (strcmp(key, "code") == 0)
			ok = parse_int(v, &fault.code) && fault.code > 0 && fault.code < 256;
		else if (strcmp(key, "sig") == 0)
			ok = parse_signal(v, &fault.sig);
		else if (strcmp(key, "pass") == 0)
			ok = *v && strlen(v) < sizeof(fault.pass) && strcpy(fault.pass, v);
		else if (strcmp(key, "at") == 0)
			ok = parse_point(v, fault.at, sizeof(fault.at));
		else if (strcmp(key, "every") == 0)
			ok = parse_int(v, &fault.every) && fault.every > 0;
		else
			return fault.kind = F_NONE,
			       bad(env, "expected keys chunk, worker, times, code, sig, pass, at "
					"or every");
		if (!ok) {
			fault.kind = F_NONE;
			return bad(env, "expected chunk, worker and times from 0 to 2147483647, "
					"code 1-255, every from 1, the name of a signal that ends a "
					"process for sig, a pass name for pass and after-mkstemp or "
					"after-rename for at");
		}
	}
	if (fault.kind == F_SIGNAL) {
		sigset_t handled;

		fb_terminating_signals(&handled);
		if (!(seen & (1u << 4)))	/* no sig= */
			fault.sig = SIGTERM;
		/* keys 0-3, 5 and 7 (chunk, worker, times, code, pass, every) aim at workers */
		if (!fault.at[0] || (seen & 0xaf)) {
			fault.kind = F_NONE;
			return bad(env, "expected at=POINT, and sig= at most, for a signal fault");
		}
		if (!sigismember(&handled, (int)fault.sig)) {
			fault.kind = F_NONE;
			return bad(env, "expected for a signal fault one of the signals forkband "
					"handles: INT, TERM, HUP, QUIT, USR1, USR2, PIPE or ALRM");
		}
	} else if (fault.at[0]) {
		fault.kind = F_NONE;
		return bad(env, "expected at= only with signal");
	} else if (fault.kind != F_EXIT && (seen & (1u << 3))) {
		fault.kind = F_NONE;
		return bad(env, "expected code= only with exit");
	} else if (fault.kind != F_CRASH && (seen & (1u << 4))) {
		fault.kind = F_NONE;
		return bad(env, "expected sig= only with crash or signal");
	} else if ((fault.chunk < 0) == (fault.worker < 0)) {
		fault.kind = F_NONE;
		return bad(env, "expected chunk=N or worker=W (one of them)");
	}
	fault.sh = shared_malloc_or_error(sizeof(*fault.sh));
	if (!fault.sh) {
		fault.kind = F_NONE;
		return -1;
	}
	return 0;
}

static bool matches(const char *pass)
{
	return fault.kind != F_NONE && fault.kind != F_SIGNAL &&
	       (!fault.pass[0] || strcmp(fault.pass, pass) == 0);
}

void fb_fault_pass_start(const char *pass)
{
	if (!matches(pass))
		return;
	fault.sh->started = 0;
	fault.sh->target = 0;
}

/* Claims one firing; false once the count is spent. */
static bool fire(void)
{
	uint64_t n = __atomic_fetch_add(&fault.sh->fired, 1, __ATOMIC_RELAXED);

	return fault.times == 0 || n < (uint64_t)fault.times;
}

FB_NORETURN static void die_by(int sig)
{
	/* A sanitizer build installs its own SIGSEGV and SIGBUS handlers: die as a plain
	 * build would. */
	signal(sig, SIG_DFL);
	kill(getpid(), sig);
	for (;;)
		pause();
}

/* Whether the fault is aimed at this chunk (rows from y0) or worker w. */
static bool aimed(unsigned w, uint32_t y0)
{
	if (fault.worker >= 0)
		return (int64_t)w == fault.worker;
	return __atomic_load_n(&fault.sh->target, __ATOMIC_RELAXED) == (uint64_t)y0 + 1;
}

/* every=K: only in steps K-1, 2K-1, ..., and once in each (the step's redo after the
 * death runs clean). Claims the step; false when it is not one of them. */
static bool step_due(uint32_t step)
{
	uint64_t last;

	if (!fault.every)
		return true;
	if ((step + 1) % (uint64_t)fault.every != 0)
		return false;
	last = __atomic_load_n(&fault.sh->last_step, __ATOMIC_RELAXED);
	return last != (uint64_t)step + 1 &&
	       __atomic_compare_exchange_n(&fault.sh->last_step, &last, (uint64_t)step + 1, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void fb_fault_before_chunk(const char *pass, uint32_t step, unsigned w, uint32_t y0)
{
	if (!matches(pass))
		return;
	if (fault.chunk >= 0 &&
	    __atomic_fetch_add(&fault.sh->started, 1, __ATOMIC_RELAXED) == (uint64_t)fault.chunk)
		__atomic_store_n(&fault.sh->target, (uint64_t)y0 + 1, __ATOMIC_RELAXED);
	if (fault.kind == F_KILL_IN_LOCK || !aimed(w, y0) || !step_due(step) || !fire())
		return;
	if (fault.kind == F_EXIT)
		_exit((int)fault.code);
	if (fault.kind == F_CRASH)
		die_by((int)fault.sig);
	for (;;)
		pause();
}

void fb_fault_in_lock(const char *pass, unsigned w, uint32_t y0)
{
	if (matches(pass) && fault.kind == F_KILL_IN_LOCK && aimed(w, y0) && fire())
		die_by(SIGKILL);
}

void fb_fault_point(const char *at)
{
	if (fault.kind == F_SIGNAL && strcmp(fault.at, at) == 0 && fire())
		kill(getpid(), (int)fault.sig);
}
