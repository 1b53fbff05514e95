/* regbench.c: the registry operations the verifier service makes most,
 * timed on one backend (bench only; tools/bench-registry.sh runs it on
 * SQLite and on a private PostgreSQL cluster and prints the ratio).
 *
 *   regbench DB HOSTS ROUNDS
 *
 * Enrolls HOSTS simulated hosts into DB (a file or a postgresql:// URI,
 * which must be empty), then ROUNDS times over every host:
 * hv_reg_host_judged() (a verdict of about 1 KiB, history kept at 100)
 * and hv_reg_status_get() with the incremental blob (as a pull does).
 * Prints one line per operation: "OP N ops  T s  R ops/s  P50 us  P99 us".
 * Exit: 0, 1 failure, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/util.h"
#include "../../verifier/registry/registry.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *op, double *lat, size_t n, double total)
{
	qsort(lat, n, sizeof(*lat), cmp);
	printf("%-12s %6zu ops  %7.3f s  %8.0f ops/s  p50 %6.0f us  p99 %6.0f us\n",
	       op, n, total / 1e6, n / (total / 1e6), lat[n / 2],
	       lat[n * 99 / 100]);
}

int main(int argc, char **argv)
{
	struct hv_reg *reg = NULL;
	unsigned long hosts, rounds;
	char name[32], verdict[1100];
	double *lj, *ls, t0, tj = 0, ts = 0;
	int64_t now = (int64_t)time(NULL);
	size_t k = 0;

	if (argc != 4 || hg_parse_uint(argv[2], 100000, &hosts) < 0 || !hosts ||
	    hg_parse_uint(argv[3], 1000, &rounds) < 0 || !rounds) {
		fprintf(stderr, "usage: regbench DB HOSTS ROUNDS\n");
		return 2;
	}
	if (hv_reg_open(argv[1], HV_REG_RDWR, &reg) < 0)
		return 1;
	for (unsigned long i = 0; i < hosts; i++) {
		struct hv_challenge c = { 0 };
		uint8_t cert[8] = { 0x30, 0x82 }, ak[8] = { 0x00, 0x16 };

		snprintf(name, sizeof(name), "h%05lu", i);
		memcpy(c.id, &i, sizeof(i));
		c.host = name;
		memcpy(cert + 2, &i, 4);
		memcpy(ak + 2, &i, 4);
		c.ek_cert = cert;
		c.ek_cert_len = sizeof(cert);
		c.ak_pub = ak;
		c.ak_pub_len = sizeof(ak);
		memcpy(c.ek_fpr, &i, sizeof(i));
		memcpy(c.ek_key, &i, sizeof(i));
		c.ak_name[0] = 0x00;
		c.ak_name[1] = 0x0b;
		memcpy(c.ak_name + 2, &i, sizeof(i));
		c.ak_name_len = 34;
		c.created_at = now;
		c.expires_at = now + 3600;
		if (hv_reg_challenge_add(reg, &c) < 0 ||
		    hv_reg_enroll(reg, c.id, now, NULL, NULL, NULL) != 0 ||
		    hv_reg_incr_set(reg, name, (const uint8_t *)verdict, 512) != 0) {
			fprintf(stderr, "regbench: enrolling %s failed\n", name);
			return 1;
		}
	}
	memset(verdict, 'x', sizeof(verdict) - 1);
	verdict[0] = '"';
	verdict[sizeof(verdict) - 2] = '"';
	verdict[sizeof(verdict) - 1] = '\0';
	lj = calloc(hosts * rounds, sizeof(*lj));
	ls = calloc(hosts * rounds, sizeof(*ls));
	if (!lj || !ls)
		return 1;
	for (unsigned long r = 0; r < rounds; r++)
		for (unsigned long i = 0; i < hosts; i++, k++) {
			struct hv_judgement j = {
				.state = (r + i) % 3 ? HV_STATE_TRUSTED :
						       HV_STATE_UNTRUSTED,
				.at = now + 1 + (int64_t)r, .verdict = verdict,
				.failures = 0, .policy = "base@1", .keep = 100,
			};
			struct hv_host_status s;
			double t;

			snprintf(name, sizeof(name), "h%05lu", i);
			t = now_us();
			if (hv_reg_status_get(reg, name, 1, &s) != 1)
				return 1;
			t0 = now_us();
			ls[k] = t0 - t;
			ts += ls[k];
			hv_host_status_free(&s);
			if (hv_reg_host_judged(reg, name, &j, NULL, NULL) != 0)
				return 1;
			lj[k] = now_us() - t0;
			tj += lj[k];
		}
	report("status_get", ls, k, ts);
	report("host_judged", lj, k, tj);
	free(lj);
	free(ls);
	hv_reg_close(reg);
	return 0;
}
