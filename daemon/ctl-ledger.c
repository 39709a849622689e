/* SPDX-License-Identifier: Apache-2.0 */
/* ctl-ledger.c - vigilctl init, ingest, verify, checkpoint, list, show, key. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "vigilctl.h"

#define INGEST_LINE_MAX (16u << 20)

int
cmd_init(struct ctl *ctl, int argc, char **argv)
{
	vigil_ledger *l = NULL;
	struct stat st;
	char id[65];

	if (argc != 1)
		return ctl_usage(ctl_find("init"));
	if (stat(ctl->db, &st) == 0) {
		ctl_error("'%s' already exists; not overwriting a ledger", ctl->db);
		return EXIT_RUNTIME;
	}
	if (ctl_open(ctl, VIGIL_OPEN_CREATE, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	vigil_ledger_key_id(l, id);
	printf("Created ledger %s\nSigning key %s (mode 0600)\nKey id %s\n", ctl->db,
	       ctl->key, id);
	vigil_ledger_close(l);
	return EXIT_OK;
}

/* Read one line of at most `max` bytes into buf; longer lines are skipped
 * and reported through *too_long. Returns false at end of file. */
static bool
read_line(FILE *f, char *buf, size_t max, size_t *len, bool *too_long)
{
	size_t n = 0;
	int c;

	*too_long = false;
	while ((c = getc(f)) != EOF) {
		if (c == '\n') {
			*len = n;
			return true;
		}
		if (n < max)
			buf[n++] = (char)c;
		else
			*too_long = true;
	}
	*len = n;
	return n > 0 || *too_long;
}

struct ingest_state {
	vigil_ledger *l;
	vigil_batch *b;
	uint64_t appended;
	uint64_t size;
};

static int
flush_batch(struct ingest_state *s)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	uint64_t first, size;
	size_t n = vigil_batch_count(s->b);
	vigil_error r;

	if (n == 0)
		return EXIT_OK;
	r = vigil_ledger_append(s->l, s->b, &first, &size, errbuf);
	if (r != VIGIL_OK)
		return ctl_fail(r, errbuf, "append");
	s->appended += n;
	s->size = size;
	printf("stored %zu entries: seq %" PRIu64 "..%" PRIu64 ", checkpoint size %" PRIu64 "\n",
	       n, size - n, size - 1, size);
	(void)first;
	fflush(stdout);
	return EXIT_OK;
}

int
cmd_ingest(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "rules", required_argument, NULL, 'r' },
		{ "no-classify", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	struct ingest_state s = { 0 };
	vigil_classifier *classifier = NULL;
	const char *rules = NULL;
	bool classify = true;
	const char *path = "-";
	unsigned long batch = 1000;
	uint64_t lineno = 0, rejected = 0;
	int c, rc = EXIT_OK;
	size_t len;
	bool too_long;
	char *line = NULL, *end;
	FILE *f;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r') {
			rules = optarg;
			continue;
		} else if (c == 'n') {
			classify = false;
			continue;
		} else if (c != 'b') {
			return ctl_usage(ctl_find("ingest"));
		}
		errno = 0;
		batch = strtoul(optarg, &end, 10);
		if (errno || *end || batch == 0 || batch > 1000000) {
			ctl_error("--batch: expected a number from 1 to 1000000");
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return ctl_usage(ctl_find("ingest"));
	if (optind < argc)
		path = argv[optind];
	if (classify && vigil_classifier_new(rules, &classifier, errbuf) != VIGIL_OK) {
		ctl_error("%s", errbuf);
		return EXIT_RUNTIME;
	}
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f) {
		ctl_error("Failed to open '%s': %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	line = malloc(INGEST_LINE_MAX + 1);
	if (!line || vigil_batch_new(&s.b) != VIGIL_OK) {
		ctl_error("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (ctl_open(ctl, 0, &s.l) != VIGIL_OK) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	while (read_line(f, line, INGEST_LINE_MAX, &len, &too_long)) {
		size_t n = len;

		lineno++;
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (too_long) {
			ctl_error("%s:%" PRIu64 ": line longer than %u bytes, rejected", path, lineno,
				  INGEST_LINE_MAX);
			rejected++;
			continue;
		}
		if (n == 0)
			continue;
		if (vigil_ingest_line(s.b, classifier, line, n, errbuf) != VIGIL_OK) {
			ctl_error("%s:%" PRIu64 ": %s; line rejected", path, lineno, errbuf);
			rejected++;
			continue;
		}
		if (vigil_batch_count(s.b) >= batch) {
			rc = flush_batch(&s);
			if (rc != EXIT_OK)
				goto out;
		}
	}
	if (ferror(f)) {
		ctl_error("Failed to read '%s': %s", path, strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	rc = flush_batch(&s);
	if (rc != EXIT_OK)
		goto out;
	if (s.size == 0)
		vigil_ledger_size(s.l, &s.size);
	printf("ingested %" PRIu64 " entries from %" PRIu64 " lines (%" PRIu64
	       " rejected); ledger size %" PRIu64 "\n", s.appended, lineno, rejected, s.size);
	if (rejected)
		rc = EXIT_INPUT;
out:
	vigil_batch_free(s.b);
	vigil_ledger_close(s.l);
	vigil_classifier_free(classifier);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int
cmd_verify(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "checkpoint", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	char errbuf[VIGIL_ERRBUF_SIZE] = "", id[65] = "";
	const char *held_path = NULL;
	vigil_verify_result res;
	vigil_ledger *l = NULL;
	char *held = NULL;
	size_t len;
	vigil_error r;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'c')
			return ctl_usage(ctl_find("verify"));
		held_path = optarg;
	}
	if (optind != argc)
		return ctl_usage(ctl_find("verify"));
	if (held_path) {
		if (!ctl_read_file(held_path, 8192, &held, &len))
			return EXIT_RUNTIME;
	}
	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK) {
		free(held);
		return EXIT_RUNTIME;
	}
	r = vigil_ledger_verify(l, held, &res, errbuf);
	vigil_ledger_key_id(l, id);
	if (r == VIGIL_OK) {
		printf("OK: %" PRIu64 " entries, %" PRIu64 " key entries, %" PRIu64
		       " checkpoints, %" PRIu64 " blob references; key %s\n",
		       res.entries, res.keys, res.checkpoints, res.blobs, id);
		if (held_path)
			printf("The ledger extends the checkpoint in '%s'.\n", held_path);
		rc = EXIT_OK;
	} else if (r == VIGIL_E_VERIFY) {
		printf("FAILED: %s\n", errbuf);
		rc = EXIT_VERIFY;
	} else {
		rc = ctl_fail(r, errbuf, ctl->db);
	}
	vigil_ledger_close(l);
	free(held);
	return rc;
}

int
cmd_checkpoint(struct ctl *ctl, int argc, char **argv)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_ledger *l = NULL;
	char *note = NULL;
	vigil_error r;

	if (argc != 1)
		return ctl_usage(ctl_find("checkpoint"));
	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	r = vigil_ledger_checkpoint(l, &note, errbuf);
	vigil_ledger_close(l);
	if (r != VIGIL_OK)
		return ctl_fail(r, errbuf, ctl->db);
	fputs(note, stdout);
	free(note);
	return EXIT_OK;
}

/* One readable line for an entry. */
static void
print_summary(const vigil_entry *e)
{
	json_t *j = json_loadb(e->bytes, e->len, 0, NULL);
	json_t *body = json_object_get(j, "body");
	const char *s;

	printf("%" PRIu64 "\t%s\t%-12s\t", e->seq, e->time, e->kind);
	if (strcmp(e->kind, "capture") == 0) {
		json_t *post = json_object_get(body, "post");
		json_t *author = json_object_get(body, "author");
		json_t *labels = json_object_get(json_object_get(body, "classification"), "labels");
		const char *text = json_string_value(json_object_get(post, "text"));
		size_t i, n = 0;

		s = json_string_value(json_object_get(author, "handle"));
		printf("%s %s %s [", json_string_value(json_object_get(body, "platform")),
		       json_string_value(json_object_get(post, "id")),
		       s ? s : json_string_value(json_object_get(author, "id")));
		for (i = 0; i < json_array_size(labels); i++)
			printf("%s%s", i ? "," : "", json_string_value(json_array_get(labels, i)));
		printf("] ");
		/* At most 60 bytes of text, cut on a character boundary. */
		for (i = 0; text && text[i] && n < 60; i++, n++)
			putchar(text[i] == '\n' || text[i] == '\t' ? ' ' : text[i]);
		while (text && text[i] && ((unsigned char)text[i] & 0xc0) == 0x80)
			putchar(text[i++]);
		if (text && text[i])
			printf("...");
	} else if (strcmp(e->kind, "key") == 0) {
		json_t *prev = json_object_get(body, "previous");

		printf("public key %s%s%.16s", json_string_value(json_object_get(body, "public_key")),
		       json_is_string(prev) ? " after " : "",
		       json_is_string(prev) ? json_string_value(prev) : "");
	} else if (strcmp(e->kind, "registration") == 0) {
		json_t *clin = json_object_get(body, "clinician");

		printf("%s %s", json_string_value(json_object_get(clin, "id")),
		       (s = json_string_value(json_object_get(clin, "name"))) ? s : "");
	} else if (json_is_integer(json_object_get(body, "of"))) {
		printf("of %lld: %s", (long long)json_integer_value(json_object_get(body, "of")),
		       json_string_value(json_object_get(body, "status")));
	}
	putchar('\n');
	json_decref(j);
}

static int
list_one(const vigil_entry *e, void *userdata)
{
	bool jsonl = *(bool *)userdata;

	if (jsonl) {
		fwrite(e->bytes, 1, e->len, stdout);
		putchar('\n');
	} else {
		print_summary(e);
	}
	return ferror(stdout) ? 1 : 0;
}

int
cmd_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	vigil_ledger *l = NULL;
	bool jsonl = false;
	vigil_error r;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'f')
			return ctl_usage(ctl_find("list"));
		if (strcmp(optarg, "jsonl") == 0) {
			jsonl = true;
		} else if (strcmp(optarg, "text") != 0) {
			ctl_error("--format: expected text or jsonl, not '%s'", optarg);
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(ctl_find("list"));
	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	r = vigil_ledger_foreach(l, 0, UINT64_MAX, list_one, &jsonl);
	vigil_ledger_close(l);
	if (r != VIGIL_OK)
		return ctl_fail(r, NULL, ctl->db);
	return EXIT_OK;
}

int
cmd_show(struct ctl *ctl, int argc, char **argv)
{
	vigil_ledger *l = NULL;
	vigil_entry *e = NULL;
	unsigned long long seq;
	char *end, sig[100], *pretty;
	json_t *j;
	vigil_error r;

	if (argc != 2)
		return ctl_usage(ctl_find("show"));
	errno = 0;
	seq = strtoull(argv[1], &end, 10);
	if (errno || *end || argv[1][0] < '0' || argv[1][0] > '9') {
		ctl_error("show: '%s' is not a seq number", argv[1]);
		return EXIT_USAGE;
	}
	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	r = vigil_ledger_get(l, seq, &e);
	vigil_ledger_close(l);
	if (r == VIGIL_E_NOTFOUND) {
		ctl_error("no entry with seq %llu", seq);
		return EXIT_RUNTIME;
	} else if (r != VIGIL_OK) {
		return ctl_fail(r, NULL, ctl->db);
	}
	j = json_loadb(e->bytes, e->len, 0, NULL);
	pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	vigil_base64(e->sig, 64, sig, sizeof(sig));
	printf("seq %llu (%s, %s)\n%s\nsignature %s\n", seq, e->kind, e->time,
	       pretty ? pretty : e->bytes, sig);
	free(pretty);
	json_decref(j);
	vigil_entry_free(e);
	return EXIT_OK;
}

int
cmd_key(struct ctl *ctl, int argc, char **argv)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "", id[65], old[65], origin[32];
	vigil_ledger *l = NULL;
	vigil_error r;

	if (argc != 2)
		return ctl_usage(ctl_find("key"));
	if (strcmp(argv[1], "show") == 0) {
		if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
			return EXIT_RUNTIME;
		vigil_ledger_key_id(l, id);
		vigil_ledger_origin(l, origin);
		printf("key id      %s\nfingerprint ", id);
		for (int i = 0; i < 64; i += 4)
			printf("%.4s%s", id + i, i + 4 < 64 ? " " : "\n");
		printf("ledger      %s\nkey file    %s\n", origin, ctl->key);
		vigil_ledger_close(l);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "rotate") != 0)
		return ctl_usage(ctl_find("key"));
	if (ctl_open(ctl, 0, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	vigil_ledger_key_id(l, old);
	r = vigil_ledger_rotate_key(l, id, errbuf);
	vigil_ledger_close(l);
	if (r != VIGIL_OK)
		return ctl_fail(r, errbuf, "key rotate");
	printf("Rotated signing key %.16s -> %s\n", old, id);
	return EXIT_OK;
}
