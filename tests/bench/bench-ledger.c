/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-ledger - figures for the ledger, on one core:
 *   bare libsodium Ed25519 sign and verify rates;
 *   batched ingest (entries/s, batches of 1,000, synchronous=FULL) and its
 *   peak resident memory (measured in a child process);
 *   full `verify` (entries/s).
 * Usage: bench-ledger [ENTRIES]   (default 100000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil-private.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A post line of about the size platforms return for one mention. */
static int
post_line(char *buf, size_t size, uint64_t i)
{
	return snprintf(buf, size,
		"{\"platform\":\"mastodon\",\"source\":\"bench\",\"clinician\":\"c%" PRIu64 "\","
		"\"post\":{\"id\":\"%" PRIu64 "\",\"url\":\"https://med.example/@u%" PRIu64 "/%" PRIu64 "\","
		"\"created_at\":\"2026-11-20T10:00:00Z\",\"text\":\"Post %" PRIu64 " mentioning Dr Roe: "
		"some ordinary words about vaccines, clinics, waiting times and the weather today.\"},"
		"\"author\":{\"id\":\"%" PRIu64 "\",\"handle\":\"user%" PRIu64 "@med.example\"},"
		"\"raw\":{\"id\":\"%" PRIu64 "\",\"content\":\"<p>Post %" PRIu64 " mentioning Dr Roe</p>\","
		"\"account\":{\"id\":\"%" PRIu64 "\",\"acct\":\"user%" PRIu64 "\"}}}",
		i % 50, i, i % 997, i, i, i % 997, i % 997, i, i, i % 997, i % 997);
}

static void
bare_rates(double *sign_rate, double *verify_rate)
{
	unsigned char pk[32], sk[64], sig[64], msg[700];
	double t0, t;
	long n;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	t0 = now();
	for (n = 0; (t = now() - t0) < 1.5; n++)
		crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	*sign_rate = n / t;
	t0 = now();
	for (n = 0; (t = now() - t0) < 1.5; n++)
		if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0)
			abort();
	*verify_rate = n / t;
}

static int
ingest(const char *db, const char *key, uint64_t entries)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "", line[2048];
	vigil_ledger *l;
	vigil_batch *b;

	if (vigil_ledger_open(db, key, VIGIL_OPEN_CREATE, &l, errbuf) != VIGIL_OK ||
	    vigil_batch_new(&b) != VIGIL_OK) {
		fprintf(stderr, "open: %s\n", errbuf);
		return 1;
	}
	for (uint64_t i = 0; i < entries; i++) {
		int n = post_line(line, sizeof(line), i);

		if (vigil_ingest_line(b, NULL, line, (size_t)n, errbuf) != VIGIL_OK) {
			fprintf(stderr, "ingest: %s\n", errbuf);
			return 1;
		}
		if (vigil_batch_count(b) == 1000 || i + 1 == entries) {
			if (vigil_ledger_append(l, b, NULL, NULL, errbuf) != VIGIL_OK) {
				fprintf(stderr, "append: %s\n", errbuf);
				return 1;
			}
		}
	}
	vigil_batch_free(b);
	vigil_ledger_close(l);
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t entries = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
	char dir[] = "/tmp/vigil-bench-XXXXXX", db[128], key[128], errbuf[VIGIL_ERRBUF_SIZE];
	double sign_rate, verify_rate, t0, ingest_s, verify_s;
	vigil_verify_result res;
	struct rusage ru;
	vigil_ledger *l;
	pid_t pid;
	int status;

	if (vigil_init() != VIGIL_OK || !mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/vigil.db", dir);
	snprintf(key, sizeof(key), "%s/signing.key", dir);
	bare_rates(&sign_rate, &verify_rate);

	t0 = now();
	pid = fork();
	if (pid == 0)
		_exit(ingest(db, key, entries));
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	ingest_s = now() - t0;
	getrusage(RUSAGE_CHILDREN, &ru);

	t0 = now();
	if (vigil_ledger_open(db, NULL, VIGIL_OPEN_READONLY, &l, errbuf) != VIGIL_OK ||
	    vigil_ledger_verify(l, NULL, &res, errbuf) != VIGIL_OK) {
		fprintf(stderr, "verify: %s\n", errbuf);
		return 1;
	}
	verify_s = now() - t0;
	vigil_ledger_close(l);

	printf("ledger benchmark, %" PRIu64 " entries, batches of 1000, synchronous=FULL\n", entries);
	printf("  bare Ed25519 sign     %10.0f /s\n", sign_rate);
	printf("  bare Ed25519 verify   %10.0f /s\n", verify_rate);
	printf("  ingest                %10.0f entries/s  (%.1f%% of bare sign; target >= 25%%)\n",
	       entries / ingest_s, 100.0 * entries / ingest_s / sign_rate);
	printf("  ingest peak RSS       %10.1f MB         (target < 64 MB)\n", ru.ru_maxrss / 1024.0);
	printf("  verify                %10.0f entries/s  (%.1f%% of bare verify; target >= 50%%)\n",
	       res.entries / verify_s, 100.0 * res.entries / verify_s / verify_rate);
	snprintf(errbuf, sizeof(errbuf), "rm -rf '%s'", dir);
	return system(errbuf) == 0 ? 0 : 1;
}
