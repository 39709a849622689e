/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-config.c - libFuzzer target: any bytes as vigil.conf. A file either
 * fails with at least one problem, each "fuzz.conf:LINE: what", the first of
 * them in errbuf, or loads into a configuration whose sources all name a
 * known platform and an existing clinician. Secret file names without a
 * slash are found in a credentials folder the target makes once, so that
 * the seeds (contrib/vigil.conf and the integration tests' files, their
 * secrets renamed) are accepted and the mode checks are reached.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	unsigned problems;
	char first[VIGIL_ERRBUF_SIZE];
};

static void
on_problem(const char *message, void *userdata)
{
	struct seen *s = userdata;

	if (strncmp(message, "fuzz.conf:", 10) != 0)
		abort();  /* every problem names the file */
	if (s->problems++ == 0)
		snprintf(s->first, sizeof(s->first), "%s", message);
}

static char creds[] = "/tmp/vigil-fuzz-config-XXXXXX";

static const struct {
	const char *name;
	mode_t mode;
} secrets[] = {
	{ "jroe-mastodon", 0600 }, { "jroe-bluesky", 0600 }, { "jroe-x", 0600 },
	{ "jroe-reddit", 0600 },   { "jroe-youtube", 0600 }, { "smtp-password", 0600 },
	{ "loose", 0644 },
};

static void
remove_creds(void)
{
	char path[sizeof(creds) + 32];

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(secrets); i++) {
		snprintf(path, sizeof(path), "%s/%s", creds, secrets[i].name);
		unlink(path);
	}
	rmdir(creds);
}

static void
make_creds(void)
{
	char path[sizeof(creds) + 32];

	if (!mkdtemp(creds))
		abort();
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(secrets); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", creds, secrets[i].name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, "t0ken\n", 6) != 6 || fchmod(fd, secrets[i].mode) != 0)
			abort();
		close(fd);
	}
	atexit(remove_creds);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	struct seen seen = { 0 };
	vigil_config *c = NULL;
	vigil_error r;

	if (size > 65536)
		return 0;
	if (!ready) {
		make_creds();
		ready = true;
	}
	r = config_load_buffer("fuzz.conf", (const char *)data, size, &c, on_problem, &seen,
			       errbuf);
	if (r == VIGIL_OK) {
		if (!c || seen.problems)
			abort();
		for (size_t i = 0; i < c->n_sources; i++) {
			const vigil_conf_source *s = &c->sources[i];

			if (!s->name || !s->src.platform || !s->clinician ||
			    !vigil_config_clinician(c, s->clinician) || !s->interval)
				abort();
		}
		for (size_t i = 0; i < c->n_clinicians; i++)
			if (!c->clinicians[i].id || !c->clinicians[i].name)
				abort();
		vigil_config_free(c);
	} else if (r == VIGIL_E_PARSE) {
		/* A rejected file says why: the first problem, in errbuf. */
		if (c || !seen.problems || strncmp(errbuf, seen.first, strlen(seen.first)) != 0)
			abort();
	} else if (r != VIGIL_E_NOMEM) {
		abort();
	}
	return 0;
}
