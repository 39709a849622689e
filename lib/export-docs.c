/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export-docs.c - VERIFY.md and the readable views of an export bundle: the
 * police report and its CSV for one clinician's evidence, a table of every
 * entry for the whole ledger.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bundle-int.h"

static const char verify_steps[] =
"## What a verifier checks\n"
"\n"
"1. `checkpoint.txt` is signed by the key above: its signature verifies over\n"
"   the first three lines, and the 4-byte key hint matches.\n"
"2. Every line of `entries.jsonl`: the entry bytes (base64 in `entry`) are\n"
"   canonical JSON (RFC 8785) whose `seq` equals the line's `seq`; the\n"
"   Ed25519 signature (`sig`) verifies under the key the entry names; the\n"
"   inclusion proof (`proof`) ties SHA-256(0x00 || entry bytes) at index\n"
"   `seq` to the checkpoint's root.\n"
"3. Where two entries have consecutive `seq`, the later one's `prev` is the\n"
"   SHA-256 of the earlier one's bytes, and `time` does not go back.\n"
"4. Every file in `blobs/` that an entry refers to is present, and its\n"
"   SHA-256 and size are those the entry records.\n"
"5. Each signing key is introduced by a `key` entry signed by the key before\n"
"   it (entry 0 introduces the first key and is signed by it).\n"
"\n"
"`vigilctl verify-bundle` makes all these checks; the commands below let you\n"
"make them without vigil, with `openssl` (3.0 or later), `sha256sum`,\n"
"`base64` and `python3`.\n"
"\n"
"## 1. The checkpoint\n"
"\n"
"```sh\n"
"head -n 3 checkpoint.txt > checkpoint.body\n"
"tail -n 1 checkpoint.txt | awk '{print $3}' | base64 -d > checkpoint.sigblob\n"
"tail -c 64 checkpoint.sigblob > checkpoint.sig\n"
"openssl pkeyutl -verify -pubin -inkey keys/KEYID.pem -rawin \\\n"
"  -in checkpoint.body -sigfile checkpoint.sig\n"
"# key hint: the first 4 bytes of the signature blob must equal\n"
"{ head -n 1 checkpoint.txt; printf '\\001'; base64 -d keys/KEYID.pub; } | sha256sum | cut -c1-8\n"
"head -c 4 checkpoint.sigblob | od -An -tx1 | tr -d ' \\n'; echo\n"
"```\n"
"\n"
"## 2. One entry (here seq 1)\n"
"\n"
"```sh\n"
"python3 - 1 <<'PY'\n"
"import base64, json, sys\n"
"seq = int(sys.argv[1])\n"
"for line in open('entries.jsonl'):\n"
"    row = json.loads(line)\n"
"    if row['seq'] == seq:\n"
"        open('entry.bin', 'wb').write(base64.b64decode(row['entry']))\n"
"        open('entry.sig', 'wb').write(base64.b64decode(row['sig']))\n"
"        print(json.loads(base64.b64decode(row['entry']))['key'])\n"
"PY\n"
"openssl pkeyutl -verify -pubin -inkey keys/KEYID.pem -rawin -in entry.bin -sigfile entry.sig\n"
"sha256sum entry.bin   # equals the \"prev\" of the entry with the next seq\n"
"```\n"
"\n"
"## 3. Inclusion proofs (RFC 9162, section 2.1.3.2)\n"
"\n"
"```sh\n"
"python3 - <<'PY'\n"
"import base64, hashlib, json\n"
"lines = open('checkpoint.txt').read().split('\\n')\n"
"size, root = int(lines[1]), base64.b64decode(lines[2])\n"
"H = lambda b: hashlib.sha256(b).digest()\n"
"for line in open('entries.jsonl'):\n"
"    row = json.loads(line)\n"
"    r, fn, sn = H(b'\\0' + base64.b64decode(row['entry'])), row['seq'], size - 1\n"
"    for p in map(base64.b64decode, row['proof']):\n"
"        if fn & 1 or fn == sn:\n"
"            r = H(b'\\1' + p + r)\n"
"            while not fn & 1 and fn:\n"
"                fn >>= 1; sn >>= 1\n"
"        else:\n"
"            r = H(b'\\1' + r + p)\n"
"        fn >>= 1; sn >>= 1\n"
"    print(row['seq'], 'ok' if sn == 0 and r == root else 'FAILED')\n"
"PY\n"
"```\n"
"\n"
"## 4. Blobs\n"
"\n"
"```sh\n"
"for f in blobs/*; do\n"
"  [ \"$(sha256sum < \"$f\" | cut -c1-64)\" = \"$(basename \"$f\")\" ] || echo \"FAILED $f\"\n"
"done\n"
"```\n"
"\n"
"The full format is described in vigil's `schema/evidence-format.md`.\n";

vigil_error
export_verify_md(struct vbuf *out, const char *origin, const char *key_id,
		 uint64_t size, uint64_t entries, const char *clinician)
{
	vigil_error r;

	r = vbuf_printf(out,
			"# Verifying this vigil evidence bundle\n"
			"\n"
			"- Ledger: `%s`\n"
			"- Checkpoint: the first %" PRIu64 " entries of the ledger\n"
			"- Entries in this bundle: %" PRIu64 " (%s%s)\n"
			"- Checkpoint signing key (key id): `%s`\n"
			"\n"
			"Compare that key id with the fingerprint you were given by another\n"
			"channel (a printed report, a letter, a second party that holds\n"
			"vigil's checkpoints). Every check below proves only that the\n"
			"evidence was signed by that key and has not changed since.\n"
			"\n",
			origin, size, entries, clinician ? "the evidence about clinician " :
			"the whole ledger", clinician ? clinician : "", key_id);
	if (r == VIGIL_OK)
		r = vbuf_adds(out, verify_steps);
	return r;
}

vigil_error
export_report_html(struct vbuf *out, const char *origin, const char *key_id,
		   uint64_t size, const char *clinician, const char *rows)
{
	vigil_error r;

	r = vbuf_printf(out,
			"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n"
			"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
			"<title>vigil evidence export</title>\n<style>\n"
			"body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%%}\n"
			"td,th{border:1px solid #999;padding:4px;vertical-align:top;font-size:90%%}\n"
			"td.t{white-space:pre-wrap;word-break:break-word}code{word-break:break-all}\n"
			"</style></head><body>\n<h1>vigil evidence export</h1>\n"
			"<p>Ledger <code>%s</code>, checkpoint over %" PRIu64 " entries; %s.</p>\n"
			"<p>Signing key fingerprint: <code>%s</code></p>\n"
			"<p>This page is a readable view, not the proof: verify the bundle as "
			"VERIFY.md explains.</p>\n"
			"<table><thead><tr><th>seq</th><th>recorded (UTC)</th><th>kind</th>"
			"<th>clinician</th><th>platform</th><th>URL</th><th>author</th>"
			"<th>labels</th><th>text</th></tr></thead><tbody>\n",
			origin, size, clinician ? "evidence about one clinician" : "whole ledger",
			key_id);
	if (r == VIGIL_OK)
		r = vbuf_adds(out, rows);
	if (r == VIGIL_OK)
		r = vbuf_adds(out, "</tbody></table>\n</body></html>\n");
	return r;
}

vigil_error
export_clinician_report(vigil_ledger *l, const vigil_export_options *o, char **html,
			size_t *html_len, char **csv, size_t *csv_len, char *errbuf)
{
	vigil_report_options ro = { .clinician = o->clinician, .since = o->since,
				    .until = o->until };
	vigil_report *rep = NULL;
	char *h = NULL;
	vigil_error r;

	r = vigil_report_build(l, &ro, &rep, errbuf);
	if (r == VIGIL_OK)
		r = vigil_report_html(rep, &h, html_len, errbuf);
	if (r == VIGIL_OK)
		r = vigil_report_csv(rep, csv, csv_len, errbuf);
	vigil_report_free(rep);
	if (r != VIGIL_OK) {
		free(h);
		return r;
	}
	*html = h;
	return VIGIL_OK;
}
