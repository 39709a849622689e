/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export.c - write an export bundle (spec section 3): entries with their
 * inclusion proofs, the checkpoint, keys, blobs, readable views and
 * VERIFY.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bundle-int.h"
#include "ledger-int.h"

#define JSONL_MAX ((size_t)4 << 30)

struct keyinfo {
	char id[65];
	uint8_t pub[32];
	bool used;
};

struct export_state {
	vigil_ledger *l;
	struct sink sink;
	struct merkle_tree *tree;
	struct checkpoint cp;
	char *note;
	struct vbuf jsonl;
	struct vbuf csv;
	struct vbuf html;
	struct keyinfo *keys;
	size_t nkeys;
	char (*blobs)[65];
	size_t nblobs, blobs_alloc;
	vigil_export_result res;
	char *errbuf;
};

static vigil_error
note_key(struct export_state *s, json_t *body)
{
	const char *pk = json_string_value(json_object_get(body, "public_key"));
	struct keyinfo *p;
	size_t n;

	p = realloc(s->keys, (s->nkeys + 1) * sizeof(*p));
	if (!p)
		return VIGIL_E_NOMEM;
	s->keys = p;
	p = &s->keys[s->nkeys];
	memset(p, 0, sizeof(*p));
	if (!pk || !vigil_unb64(pk, strlen(pk), p->pub, 32, &n) || n != 32)
		return vigil_fail(s->errbuf, VIGIL_E_CORRUPT, "key entry with a malformed key");
	vigil_key_id(p->pub, p->id);
	s->nkeys++;
	return VIGIL_OK;
}

static void
mark_key_used(struct export_state *s, const char *id)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].id, id) == 0)
			s->keys[i].used = true;
}

static vigil_error
add_blob(struct export_state *s, json_t *ref)
{
	const char *hex = json_string_value(json_object_get(ref, "sha256"));

	if (!hex || strlen(hex) != 64)
		return VIGIL_OK;
	if (s->nblobs == s->blobs_alloc) {
		size_t na = s->blobs_alloc ? s->blobs_alloc * 2 : 64;
		char (*p)[65] = realloc(s->blobs, na * sizeof(*p));

		if (!p)
			return VIGIL_E_NOMEM;
		s->blobs = p;
		s->blobs_alloc = na;
	}
	memcpy(s->blobs[s->nblobs++], hex, 65);
	return VIGIL_OK;
}

/* The readable views: one row per entry. */
static vigil_error
add_views(struct export_state *s, uint64_t seq, const char *time, const char *kind,
	  json_t *body)
{
	char seqs[24], labels[256] = "";
	json_t *lab = json_object_get(json_object_get(body, "classification"), "labels");
	const char *author = text_at(body, "author", "handle");
	const char *clin = json_is_object(json_object_get(body, "clinician"))
		? text_at(body, "clinician", "id") : text_at(body, "clinician", NULL);
	const char *text = strcmp(kind, "capture") == 0 ? text_at(body, "post", "text")
		: strcmp(kind, "annotation") == 0 ? text_at(body, "text", NULL)
		: text_at(body, "detail", NULL);
	const char *url = text_at(body, "post", "url");
	vigil_error r = VIGIL_OK;

	snprintf(seqs, sizeof(seqs), "%" PRIu64, seq);
	for (size_t i = 0; i < json_array_size(lab); i++) {
		size_t n = strlen(labels);

		snprintf(labels + n, sizeof(labels) - n, "%s%s", i ? " " : "",
			 json_string_value(json_array_get(lab, i)));
	}
	if (!*author)
		author = text_at(body, "author", "id");
	r = csv_field(&s->csv, seqs, false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, time, false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, kind, false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, clin, false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, text_at(body, "platform", NULL), false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, text_at(body, "post", "id"), false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, url, false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, author, false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, labels, false);
	if (r == VIGIL_OK) r = csv_field(&s->csv, text, true);
	if (r == VIGIL_OK) r = vbuf_printf(&s->html, "<tr><td>%s</td><td>", seqs);
	if (r == VIGIL_OK) r = html_text(&s->html, time);
	if (r == VIGIL_OK) r = vbuf_printf(&s->html, "</td><td>%s</td><td>", kind);
	if (r == VIGIL_OK) r = html_text(&s->html, clin);
	if (r == VIGIL_OK) r = vbuf_adds(&s->html, "</td><td>");
	if (r == VIGIL_OK) r = html_text(&s->html, text_at(body, "platform", NULL));
	if (r == VIGIL_OK) r = vbuf_adds(&s->html, "</td><td>");
	if (r == VIGIL_OK) r = html_text(&s->html, url);
	if (r == VIGIL_OK) r = vbuf_adds(&s->html, "</td><td>");
	if (r == VIGIL_OK) r = html_text(&s->html, author);
	if (r == VIGIL_OK) r = vbuf_adds(&s->html, "</td><td>");
	if (r == VIGIL_OK) r = html_text(&s->html, labels);
	if (r == VIGIL_OK) r = vbuf_adds(&s->html, "</td><td class=t>");
	if (r == VIGIL_OK) r = html_text(&s->html, text);
	if (r == VIGIL_OK) r = vbuf_adds(&s->html, "</td></tr>\n");
	return r;
}

static vigil_error
add_entry(struct export_state *s, uint64_t seq, const uint8_t *bytes, size_t len,
	  const uint8_t *sig)
{
	uint8_t path[MERKLE_MAX_PROOF][32];
	char *b64 = NULL, sig64[100], h64[64];
	size_t pathlen, b64len = vigil_b64_len(len);
	json_t *e;
	vigil_error r;

	e = json_loadb((const char *)bytes, len, 0, NULL);
	if (!json_is_object(e)) {
		json_decref(e);
		return vigil_fail(s->errbuf, VIGIL_E_CORRUPT,
				  "seq %" PRIu64 ": stored entry is not JSON (run vigilctl verify)", seq);
	}
	if (strcmp(text_at(e, "kind", NULL), "key") == 0) {
		r = note_key(s, json_object_get(e, "body"));
		if (r != VIGIL_OK)
			goto out;
	}
	mark_key_used(s, text_at(e, "key", NULL));
	{
		json_t *body = json_object_get(e, "body");
		json_t *att = json_object_get(body, "attachments");

		r = VIGIL_OK;
		if (json_is_object(json_object_get(body, "payload")))
			r = add_blob(s, json_object_get(body, "payload"));
		for (size_t i = 0; r == VIGIL_OK && i < json_array_size(att); i++)
			r = add_blob(s, json_array_get(att, i));
		if (r == VIGIL_OK)
			r = add_views(s, seq, text_at(e, "time", NULL), text_at(e, "kind", NULL), body);
		if (r != VIGIL_OK)
			goto out;
	}
	r = merkle_tree_inclusion(s->tree, seq, path, &pathlen);
	if (r != VIGIL_OK)
		goto out;
	b64 = malloc(b64len);
	if (!b64) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	vigil_b64(bytes, len, b64);
	vigil_b64(sig, 64, sig64);
	r = vbuf_printf(&s->jsonl, "{\"seq\":%" PRIu64 ",\"entry\":\"%s\",\"sig\":\"%s\",\"proof\":[",
			seq, b64, sig64);
	for (size_t i = 0; r == VIGIL_OK && i < pathlen; i++) {
		vigil_b64(path[i], 32, h64);
		r = vbuf_printf(&s->jsonl, "%s\"%s\"", i ? "," : "", h64);
	}
	if (r == VIGIL_OK)
		r = vbuf_adds(&s->jsonl, "]}\n");
	if (r == VIGIL_E_TOOBIG)
		r = vigil_fail(s->errbuf, r, "export larger than %zu bytes", JSONL_MAX);
	s->res.entries++;
out:
	free(b64);
	json_decref(e);
	return r;
}

static int
hex_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static vigil_error
write_blobs(struct export_state *s)
{
	vigil_error r = VIGIL_OK;

	if (s->nblobs)
		qsort(s->blobs, s->nblobs, sizeof(*s->blobs), hex_cmp);
	for (size_t i = 0; r == VIGIL_OK && i < s->nblobs; i++) {
		char rel[80];
		void *data;
		size_t len;

		if (i > 0 && strcmp(s->blobs[i], s->blobs[i - 1]) == 0)
			continue;
		r = vigil_ledger_blob(s->l, s->blobs[i], &data, &len);
		if (r != VIGIL_OK)
			return vigil_fail(s->errbuf, r == VIGIL_E_NOTFOUND ? VIGIL_E_CORRUPT : r,
					  "blob %s: %s (run vigilctl verify)", s->blobs[i],
					  vigil_strerror(r));
		snprintf(rel, sizeof(rel), "blobs/%s", s->blobs[i]);
		r = sink_write(&s->sink, rel, data, len, s->errbuf);
		free(data);
		s->res.blobs++;
	}
	return r;
}

static vigil_error
write_keys(struct export_state *s)
{
	vigil_error r = VIGIL_OK;

	for (size_t i = 0; r == VIGIL_OK && i < s->nkeys; i++) {
		char rel[96], line[64], pem[128];

		if (!s->keys[i].used)
			continue;
		vigil_b64(s->keys[i].pub, 32, line);
		strcat(line, "\n");
		snprintf(rel, sizeof(rel), "keys/%s.pub", s->keys[i].id);
		r = sink_write(&s->sink, rel, line, strlen(line), s->errbuf);
		key_pem(s->keys[i].pub, pem);
		snprintf(rel, sizeof(rel), "keys/%s.pem", s->keys[i].id);
		if (r == VIGIL_OK)
			r = sink_write(&s->sink, rel, pem, strlen(pem), s->errbuf);
	}
	return r;
}

/* The key that signed entry size-1 signs the checkpoint. */
static vigil_error
checkpoint_signer(struct export_state *s, char id[65])
{
	sqlite3_stmt *st = NULL;
	vigil_error r;

	r = ledger_prepare(s->l, "SELECT key_id FROM entries WHERE seq = ?", &st, s->errbuf);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(s->cp.size - 1));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
	else
		r = vigil_fail(s->errbuf, VIGIL_E_CORRUPT, "entry %" PRIu64 " is missing",
			       s->cp.size - 1);
	sqlite3_finalize(st);
	return r;
}

static vigil_error
select_entries(struct export_state *s, const vigil_export_options *o)
{
	static const char sql[] =
		"SELECT seq, bytes, sig FROM entries WHERE seq < ?1 AND (kind = 'key' OR "
		"((?2 IS NULL OR clinician = ?2) AND (?3 IS NULL OR time >= ?3) AND "
		"(?4 IS NULL OR time < ?4))) ORDER BY seq";
	char since[32], until[32];
	sqlite3_stmt *st = NULL;
	int64_t ms;
	vigil_error r;
	int rc;

	if (o->since) {
		if (!vigil_parse_time(o->since, &ms))
			return vigil_fail(s->errbuf, VIGIL_E_INVAL,
					  "--since '%s': not an RFC 3339 time", o->since);
		vigil_format_time(ms, since);
	}
	if (o->until) {
		if (!vigil_parse_time(o->until, &ms))
			return vigil_fail(s->errbuf, VIGIL_E_INVAL,
					  "--until '%s': not an RFC 3339 time", o->until);
		vigil_format_time(ms, until);
	}
	r = ledger_prepare(s->l, sql, &st, s->errbuf);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->cp.size);
	if (o->clinician)
		sqlite3_bind_text(st, 2, o->clinician, -1, SQLITE_STATIC);
	if (o->since)
		sqlite3_bind_text(st, 3, since, -1, SQLITE_STATIC);
	if (o->until)
		sqlite3_bind_text(st, 4, until, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 2) != 64) {
			r = vigil_fail(s->errbuf, VIGIL_E_CORRUPT, "seq %lld: malformed signature",
				       (long long)sqlite3_column_int64(st, 0));
			break;
		}
		r = add_entry(s, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
			      (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 2));
		if (r != VIGIL_OK)
			break;
	}
	if (r == VIGIL_OK && rc != SQLITE_DONE)
		r = ledger_sqlite_error(s->l->db, rc, s->l->path, s->errbuf);
	sqlite3_finalize(st);
	return r;
}

static vigil_error
write_docs(struct export_state *s, const vigil_export_options *o, const char *signer)
{
	char *html = NULL, *csv = NULL;
	size_t html_len = 0, csv_len = 0;
	struct vbuf doc;
	vigil_error r;

	vbuf_init(&doc, 1 << 20);
	r = export_verify_md(&doc, s->l->origin, signer, s->cp.size, s->res.entries,
			     o->clinician);
	if (r == VIGIL_OK)
		r = sink_write(&s->sink, "VERIFY.md", doc.data, doc.len, s->errbuf);
	vbuf_reset(&doc);
	/* One clinician: the police report; the whole ledger: every entry. */
	if (r == VIGIL_OK && o->clinician) {
		r = export_clinician_report(s->l, o, &html, &html_len, &csv, &csv_len, s->errbuf);
	} else if (r == VIGIL_OK) {
		r = export_report_html(&doc, s->l->origin, signer, s->cp.size, NULL,
				       s->html.data ? s->html.data : "");
		html_len = doc.len;
		html = vbuf_take(&doc, NULL);
		csv_len = s->csv.len;
		csv = vbuf_take(&s->csv, NULL);
	}
	if (r == VIGIL_OK)
		r = sink_write(&s->sink, "report.html", html, html_len, s->errbuf);
	if (r == VIGIL_OK)
		r = sink_write(&s->sink, "report.csv", csv, csv_len, s->errbuf);
	vbuf_free(&doc);
	free(html);
	free(csv);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_export(vigil_ledger *l, const vigil_export_options *o, const char *out,
	     vigil_export_result *result, char *errbuf)
{
	static const vigil_export_options none = { 0 };
	struct export_state s;
	uint8_t (*leaves)[32] = NULL, root[32];
	char signer[65];
	int64_t mtime = 0;
	vigil_error r;
	bool sink_open_ok = false;

	memset(&s, 0, sizeof(s));
	s.l = l;
	s.errbuf = errbuf;
	if (!o)
		o = &none;
	vbuf_init(&s.jsonl, JSONL_MAX);
	vbuf_init(&s.csv, JSONL_MAX);
	vbuf_init(&s.html, JSONL_MAX);
	/* Read in one transaction so the entries match the checkpoint. */
	sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL);
	r = vigil_ledger_checkpoint(l, &s.note, errbuf);
	if (r == VIGIL_OK)
		r = note_parse(s.note, strlen(s.note), &s.cp, errbuf);
	if (r == VIGIL_OK)
		r = ledger_leaves(l, s.cp.size, &leaves);
	if (r == VIGIL_OK)
		r = merkle_tree_new(leaves, s.cp.size, &s.tree);
	if (r != VIGIL_OK)
		goto out;
	merkle_tree_root(s.tree, root);
	if (sodium_memcmp(root, s.cp.root, 32) != 0) {
		r = vigil_fail(errbuf, VIGIL_E_CORRUPT,
			       "the stored entries do not match the latest checkpoint (run vigilctl verify)");
		goto out;
	}
	r = checkpoint_signer(&s, signer);
	if (r == VIGIL_OK)
		r = vbuf_adds(&s.csv, "\"seq\",\"time\",\"kind\",\"clinician\",\"platform\",\"post_id\","
			      "\"url\",\"author\",\"labels\",\"text\"\r\n");
	if (r == VIGIL_OK)
		r = select_entries(&s, o);
	if (r != VIGIL_OK)
		goto out;
	mark_key_used(&s, signer);
	if (s.nkeys > 0) {
		vigil_entry *last = NULL;

		if (vigil_ledger_get(l, s.cp.size - 1, &last) == VIGIL_OK)
			vigil_parse_time(last->time, &mtime);
		vigil_entry_free(last);
	}
	r = sink_open(&s.sink, out, o->tar, mtime / 1000, errbuf);
	sink_open_ok = r == VIGIL_OK;
	if (r == VIGIL_OK)
		r = sink_write(&s.sink, "entries.jsonl", s.jsonl.data, s.jsonl.len, errbuf);
	if (r == VIGIL_OK)
		r = sink_write(&s.sink, "checkpoint.txt", s.note, strlen(s.note), errbuf);
	if (r == VIGIL_OK)
		r = write_keys(&s);
	if (r == VIGIL_OK)
		r = write_blobs(&s);
	if (r == VIGIL_OK)
		r = write_docs(&s, o, signer);
out:
	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	if (sink_open_ok) {
		vigil_error c = sink_close(&s.sink, r == VIGIL_OK, errbuf);

		if (r == VIGIL_OK)
			r = c;
	} else {
		sink_close(&s.sink, false, NULL);
	}
	if (r == VIGIL_OK && result) {
		s.res.checkpoint_size = s.cp.size;
		*result = s.res;
	}
	free(leaves);
	merkle_tree_free(s.tree);
	free(s.note);
	free(s.keys);
	free(s.blobs);
	vbuf_free(&s.jsonl);
	vbuf_free(&s.csv);
	vbuf_free(&s.html);
	return r;
}
