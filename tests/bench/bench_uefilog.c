/* bench_uefilog.c: the UEFI firmware event log parse and replay rate
 * (issue 5), in-process.
 *
 *   bench_uefilog RUNS MSECS LOG...
 *
 * Reads each LOG once, then, for each, times RUNS runs of two loops over
 * the bytes already in memory:
 *   parse   hg_uefi_iter_next() over the whole log (no hashing);
 *   replay  hg_uefi_replay(): both of its passes over the log and every
 *           extend in every known bank (what a verifier pays per log).
 * A run repeats its loop until MSECS of wall time have passed and counts
 * the events done; its rate is events / wall time. The figure is the median
 * of the RUNS runs, the runs of parse and replay interleaved, so that a
 * slow spell of a shared machine hits both alike.
 *
 * Every log must parse and replay: a benchmark of a refusal measures
 * nothing, so the first failure stops the run with the reason on stderr.
 *
 * Prints one line per log and a last line over all of them (events of all
 * logs / the sum of their median per-event times):
 *   NAME: E events, B bytes, K banks: parse P events/s, replay R events/s (...)
 * Exit: 0 ok, 1 a log failed, 2 usage or unreadable input.
 *
 * Not a test: tools/bench-uefi.sh runs it on the largest corpus logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/uefilog.h"
#include "../../lib/util.h"

#define MAX_RUNS 101

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int parse_once(const uint8_t *buf, size_t len, size_t *events)
{
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	int r;

	hg_uefi_iter_init(&it, buf, len);
	while ((r = hg_uefi_iter_next(&it, &ev)) == 1)
		;
	*events = it.n;
	return r;
}

/* Events per second of one run of MSECS; -1 on a failure. */
static double run_parse(const uint8_t *buf, size_t len, double secs)
{
	double t0 = now(), t;
	size_t total = 0, n;

	do {
		if (parse_once(buf, len, &n) < 0)
			return -1;
		total += n;
	} while ((t = now() - t0) < secs);
	return (double)total / t;
}

static double run_replay(const uint8_t *buf, size_t len, double secs,
			 struct hg_uefi_replay *r)
{
	struct hg_uefi_err err;
	double t0 = now(), t;
	size_t total = 0;

	do {
		if (hg_uefi_replay(buf, len, 0, r, &err) < 0)
			return -1;
		total += r->events;
	} while ((t = now() - t0) < secs);
	return (double)total / t;
}

int main(int argc, char **argv)
{
	static double parse[MAX_RUNS], replay[MAX_RUNS];
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	unsigned long runs, msecs;
	double all_events = 0, all_parse_s = 0, all_replay_s = 0;
	int ret = 2;

	hg_progname = "bench_uefilog";
	if (!r) {
		hg_err("out of memory");
		return 2;
	}
	if (argc < 4 || hg_parse_uint(argv[1], MAX_RUNS, &runs) < 0 || runs == 0 ||
	    hg_parse_uint(argv[2], 60000, &msecs) < 0 || msecs == 0) {
		fprintf(stderr, "Usage: bench_uefilog RUNS(1..%d) MSECS(1..60000) LOG...\n",
			MAX_RUNS);
		goto out;
	}
	for (int i = 3; i < argc; i++) {
		struct hg_uefi_err err;
		uint8_t *buf;
		size_t len, events;
		double p, q;

		if (hg_read_file(argv[i], HG_UEFI_MAX_LOG, 0, &buf, &len) < 0) {
			hg_err("%s: cannot read", argv[i]);
			goto out;
		}
		if (hg_uefi_replay(buf, len, 0, r, &err) < 0) {
			hg_err("%s: event %ld (offset %zu): %s; refusing to benchmark a "
			       "log that does not replay", argv[i], err.event,
			       err.offset, err.msg);
			free(buf);
			ret = 1;
			goto out;
		}
		events = r->events;
		for (unsigned long k = 0; k < runs; k++) {
			parse[k] = run_parse(buf, len, (double)msecs / 1000);
			replay[k] = run_replay(buf, len, (double)msecs / 1000, r);
		}
		free(buf);
		p = median(parse, runs);
		q = median(replay, runs);
		printf("%s: %zu events, %zu bytes, %zu banks: parse %.0f events/s, "
		       "replay %.0f events/s (%.1f us a log; median of %lu runs of %lu ms)\n",
		       argv[i], events, len, r->nbanks, p, q, 1e6 * (double)events / q,
		       runs, msecs);
		all_events += (double)events;
		all_parse_s += (double)events / p;
		all_replay_s += (double)events / q;
	}
	printf("all %d logs: %.0f events: parse %.0f events/s, replay %.0f events/s\n",
	       argc - 3, all_events, all_events / all_parse_s,
	       all_events / all_replay_s);
	ret = 0;
out:
	free(r);
	return ret;
}
