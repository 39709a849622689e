/* SPDX-License-Identifier: Apache-2.0 */
/* ctl-export.c - vigilctl export and verify-bundle. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vigilctl.h"

int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "clinician", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "tar", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	vigil_export_options o = { 0 };
	char errbuf[VIGIL_ERRBUF_SIZE] = "", id[65] = "";
	vigil_export_result res;
	vigil_ledger *l = NULL;
	const char *out = NULL;
	vigil_error r;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': o.clinician = optarg; break;
		case 's': o.since = optarg; break;
		case 'u': o.until = optarg; break;
		case 't': o.tar = true; break;
		default: return ctl_usage(ctl_find("export"));
		}
	}
	if (!out || optind != argc)
		return ctl_usage(ctl_find("export"));
	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	r = vigil_export(l, &o, out, &res, errbuf);
	vigil_ledger_key_id(l, id);
	vigil_ledger_close(l);
	if (r != VIGIL_OK)
		return ctl_fail(r, errbuf, "export");
	printf("Exported %" PRIu64 " entries and %" PRIu64 " blobs to %s\n"
	       "Checkpoint size %" PRIu64 "; key fingerprint %s\n",
	       res.entries, res.blobs, out, res.checkpoint_size, id);
	return EXIT_OK;
}

int
cmd_verify_bundle(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_bundle_result res;
	const char *key = NULL;
	vigil_error r;
	int c;

	(void)ctl;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'k')
			return ctl_usage(ctl_find("verify-bundle"));
		key = optarg;
	}
	if (optind + 1 != argc)
		return ctl_usage(ctl_find("verify-bundle"));
	r = vigil_bundle_verify(argv[optind], key, &res, errbuf);
	if (r == VIGIL_OK) {
		printf("OK: %" PRIu64 " entries, %" PRIu64 " blob references, checkpoint size %"
		       PRIu64 "\nSigned by key %s\n", res.entries, res.blobs,
		       res.checkpoint_size, res.key_id);
		if (!key)
			printf("Compare this key id with the fingerprint you received separately "
			       "(or pass --key).\n");
		return EXIT_OK;
	}
	if (r == VIGIL_E_VERIFY) {
		printf("FAILED: %s\n", errbuf);
		return EXIT_VERIFY;
	}
	return ctl_fail(r, errbuf, argv[optind]);
}
