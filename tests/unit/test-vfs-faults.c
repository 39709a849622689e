/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-vfs-faults.c - I/O errors and a full disk while vigild stores a
 * page. A VFS wrapped around SQLite's unix VFS, registered as the default,
 * fails the Nth write, sync or truncate of the store (the captures, their
 * raw payloads as blobs, the signed checkpoint, re-checks, alerts and the
 * source's cursor: watch_store_page(), what the daemon runs for every
 * page), for every N the store performs; once, or from the Nth on (a disk
 * that stays full). After each fault:
 *
 * - the store reports an error, or SQLite absorbed the fault and every
 *   part of the page is stored;
 * - a fresh connection through the real unix VFS verifies the ledger and
 *   finds the page wholly there or wholly absent; absent, the cursor has
 *   not moved; present, the cursor, re-checks and alerts are there too;
 * - the daemon's retry of the same page stores it exactly once.
 *
 * It prints how many faults were injected (tests/RELIABILITY.md).
 */
#include <check.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "ledger-int.h"
#include "watch-int.h"
#include "testutil.h"

/* ---- the fault VFS ---- */

enum fault_op { OP_WRITE, OP_SYNC, OP_TRUNCATE, OP_SHM_MAP, OP_COUNT };

static const char *const op_names[OP_COUNT] = { "write", "sync", "truncate", "shm map" };

static struct {
	sqlite3_vfs *real;
	bool armed;
	enum fault_op op;
	long fail_at;          /* the Nth call of `op` since arming fails, */
	long fail_last;        /* up to this one */
	bool sticky;           /* and every later one (a disk that stays full) */
	int code;              /* SQLITE_FULL, or the op's own SQLITE_IOERR_* */
	long calls[OP_COUNT];  /* calls since arming */
	bool fired;
} fault;

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real;    /* the unix VFS's file, right after this struct */
};

#define REAL(f) (((struct shim_file *)(f))->real)

static int
inject(enum fault_op op, int ioerr)
{
	long n;

	if (!fault.armed)
		return SQLITE_OK;
	n = ++fault.calls[op];
	if (op != fault.op || n < fault.fail_at || (n > fault.fail_last && !fault.sticky))
		return SQLITE_OK;
	fault.fired = true;
	return fault.code == SQLITE_FULL ? SQLITE_FULL : ioerr;
}

static int
shim_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
shim_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int
shim_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	int rc = inject(OP_WRITE, SQLITE_IOERR_WRITE);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int
shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = inject(OP_TRUNCATE, SQLITE_IOERR_TRUNCATE);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
shim_sync(sqlite3_file *f, int flags)
{
	int rc = inject(OP_SYNC, SQLITE_IOERR_FSYNC);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
shim_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
shim_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
shim_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
shim_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
shim_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
shim_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
shim_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	/* What the unix VFS says when it may not open the -shm file. */
	int rc = inject(OP_SHM_MAP, SQLITE_CANTOPEN);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}

static int
shim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
shim_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
shim_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
shim_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, out);
}

static int
shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static sqlite3_io_methods shim_io = {
	.iVersion = 3,
	.xClose = shim_close,
	.xRead = shim_read,
	.xWrite = shim_write,
	.xTruncate = shim_truncate,
	.xSync = shim_sync,
	.xFileSize = shim_file_size,
	.xLock = shim_lock,
	.xUnlock = shim_unlock,
	.xCheckReservedLock = shim_check_reserved,
	.xFileControl = shim_file_control,
	.xSectorSize = shim_sector_size,
	.xDeviceCharacteristics = shim_device_characteristics,
	.xShmMap = shim_shm_map,
	.xShmLock = shim_shm_lock,
	.xShmBarrier = shim_shm_barrier,
	.xShmUnmap = shim_shm_unmap,
	.xFetch = shim_fetch,
	.xUnfetch = shim_unfetch,
};

static int
shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct shim_file *p = (struct shim_file *)f;
	int rc;

	(void)vfs;
	p->real = (sqlite3_file *)&p[1];
	rc = fault.real->xOpen(fault.real, name, p->real, flags, out_flags);
	/* SQLite calls xClose whenever pMethods is set, even after a failure. */
	p->base.pMethods = p->real->pMethods ? &shim_io : NULL;
	return rc;
}

static int
shim_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return fault.real->xDelete(fault.real, name, sync_dir);
}

static int
shim_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return fault.real->xAccess(fault.real, name, flags, out);
}

static int
shim_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return fault.real->xFullPathname(fault.real, name, n, out);
}

static int
shim_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return fault.real->xRandomness(fault.real, n, out);
}

static int
shim_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return fault.real->xSleep(fault.real, us);
}

static int
shim_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return fault.real->xCurrentTime(fault.real, out);
}

static int
shim_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return fault.real->xGetLastError(fault.real, n, out);
}

static int
shim_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return fault.real->xCurrentTimeInt64(fault.real, out);
}

static sqlite3_vfs shim_vfs = {
	.iVersion = 2,
	.mxPathname = 512,
	.zName = "vigil-faults",
	.xOpen = shim_open,
	.xDelete = shim_delete,
	.xAccess = shim_access,
	.xFullPathname = shim_full_pathname,
	.xRandomness = shim_randomness,
	.xSleep = shim_sleep,
	.xCurrentTime = shim_current_time,
	.xGetLastError = shim_last_error,
	.xCurrentTimeInt64 = shim_current_time64,
};

static void
shim_register(void)
{
	fault.real = sqlite3_vfs_find("unix");
	ck_assert_ptr_nonnull(fault.real);
	ck_assert_int_ge(fault.real->iVersion, 2);
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + fault.real->szOsFile;
	shim_vfs.mxPathname = fault.real->mxPathname;
	ck_assert_int_eq(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
	ck_assert_ptr_eq(sqlite3_vfs_find(NULL), &shim_vfs);
}

static void
arm(enum fault_op op, long n, int code, bool sticky)
{
	memset(fault.calls, 0, sizeof(fault.calls));
	fault.op = op;
	fault.fail_at = n;
	fault.fail_last = n;
	fault.code = code;
	fault.sticky = sticky;
	fault.fired = false;
	fault.armed = true;
}

/* ---- the watcher and its pages ---- */

static char *dir, *db_path, *conf_path;

static void
write_file(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static vigil_config *
load_config(void)
{
	char text[1024], *token = test_path(dir, "token");
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_config *cfg = NULL;

	write_file(token, 0600, "mastodon-token-SECRET-1\n");
	snprintf(text, sizeof(text),
		 "[vigil]\ndatabase = %s\nsigning_key = %s/signing.key\n"
		 "alert_labels = insult, threat\n"
		 "[clinician jroe]\nname = Dr. Jane Roe\n"
		 "[source m]\nplatform = mastodon\nclinician = jroe\n"
		 "base_url = http://127.0.0.1:9\ntoken_file = %s\n", db_path, dir, token);
	write_file(conf_path, 0600, text);
	ck_assert_msg(vigil_config_load(conf_path, &cfg, NULL, NULL, errbuf) == VIGIL_OK,
		      "config: %s", errbuf);
	free(token);
	return cfg;
}

#define PAGE_POSTS 3

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	ck_assert_ptr_nonnull(d);
	return d;
}

static char *
xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	return s;
}

/* Page k: PAGE_POSTS new mentions with raw payloads, one of them an
 * insult (an alert), and a cursor naming k. */
static vigil_page *
make_page(unsigned k)
{
	vigil_page *page = calloc(1, sizeof(*page));

	ck_assert_ptr_nonnull(page);
	page->posts = calloc(PAGE_POSTS, sizeof(*page->posts));
	ck_assert_ptr_nonnull(page->posts);
	for (unsigned i = 0; i < PAGE_POSTS; i++) {
		vigil_post *p = calloc(1, sizeof(*p));

		ck_assert_ptr_nonnull(p);
		p->platform = xstrdup("mastodon");
		p->id = xprintf("%u", 100000 + k * PAGE_POSTS + i);
		p->url = xprintf("https://other.example/@h%u/%s", i, p->id);
		p->created_at = xstrdup("2025-11-20T12:00:00Z");
		p->text = xprintf(i == 0 ? "@drsynthetic you are a fraud and a quack, page %u"
				  : "@drsynthetic thanks for the talk, page %u post %u", k, i);
		p->author_id = xprintf("%u", 500 + i);
		p->author_handle = xprintf("harasser%u@other.example", i);
		/* The raw payload, stored as a blob. */
		p->payload = xprintf("{\"id\":\"%s\",\"pad\":\"%0*u\"}", p->id, 600, k);
		p->payload_len = strlen(p->payload);
		page->posts[page->n_posts++] = p;
	}
	page->cursor = xprintf("{\"since\":\"%u\"}", 100000 + k * PAGE_POSTS);
	return page;
}

/* What a fresh connection through the real unix VFS sees. */
struct seen {
	uint64_t size;
	char cursor[256];
	long without_recheck;   /* captures with no re-check row */
	long alerted;           /* insults covered by an alert row */
	long insults;
};

static long
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* With `verify`, vigil_ledger_verify() the whole ledger too. */
static void
look(struct seen *out, const char *when, bool verify)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_source_status *ss = NULL;
	vigil_verify_result vr;
	vigil_ledger *l = NULL;
	size_t n = 0;
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_vfs_register(fault.real, 1), SQLITE_OK);
	ck_assert_msg(vigil_ledger_open(db_path, NULL, VIGIL_OPEN_READONLY, &l, errbuf) == VIGIL_OK,
		      "%s: reopening through the unix VFS: %s", when, errbuf);
	if (verify)
		ck_assert_msg(vigil_ledger_verify(l, NULL, &vr, errbuf) == VIGIL_OK,
			      "%s: verify: %s", when, errbuf);
	ck_assert_int_eq(vigil_ledger_size(l, &out->size), VIGIL_OK);
	ck_assert_int_eq(vigil_source_statuses(l, &ss, &n), VIGIL_OK);
	ck_assert_int_eq(n, 1);
	snprintf(out->cursor, sizeof(out->cursor), "%s", ss[0].cursor);
	free(ss);
	db = ledger_db(l);
	out->without_recheck = count(db, "SELECT count(*) FROM entries e WHERE kind = 'capture' "
				     "AND NOT EXISTS (SELECT 1 FROM rechecks r WHERE r.seq = e.seq)");
	out->insults = count(db, "SELECT count(*) FROM entries WHERE kind = 'capture' "
			     "AND CAST(bytes AS TEXT) LIKE '%fraud and a quack%'");
	out->alerted = count(db, "SELECT coalesce(sum(count), 0) FROM alerts");
	vigil_ledger_close(l);
	ck_assert_int_eq(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

struct tally {
	unsigned injected[OP_COUNT];
	unsigned failed;        /* the store reported the error */
	unsigned absorbed;      /* SQLite absorbed it; the page was stored */
	unsigned absent;        /* after the fault: page absent, cursor unmoved */
	unsigned present;       /* after the fault: page wholly present */
	long calls[OP_COUNT];   /* most calls of each op in one unfaulted store */
	unsigned pages;         /* pages stored, each after its fault */
	uint64_t entries;       /* entries verified at the end */
};

/* Fault the store of page k at the Nth `op`; false if the store made
 * fewer than n such calls. `cur` is what the ledger holds, kept up to
 * date. */
static bool
one_fault(vigil_watch *w, unsigned k, enum fault_op op, long n, int code, bool sticky,
	  struct seen *cur, struct tally *t)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "", what[128];
	vigil_page *page = make_page(k);
	struct seen before = *cur, after;
	vigil_error r;
	bool fired;

	snprintf(what, sizeof(what), "%s %ld (%s%s)", op_names[op], n,
		 code == SQLITE_FULL ? "disk full" : "I/O error", sticky ? ", from then on" : "");
	arm(op, n, code, sticky);
	r = watch_store_page(w, &w->sources[0], page, errbuf);
	fault.armed = false;
	fired = fault.fired;
	if (!fired) {
		/* The whole store ran with fewer calls: the range is covered. */
		ck_assert_msg(r == VIGIL_OK, "%s: unfaulted store failed: %s", what, errbuf);
		look(cur, what, false);
		ck_assert_uint_eq(cur->size, before.size + PAGE_POSTS);
		if (fault.calls[op] > t->calls[op])
			t->calls[op] = fault.calls[op];
		vigil_page_free(page);
		return false;
	}
	t->injected[op]++;
	look(&after, what, true);
	if (r != VIGIL_OK) {
		t->failed++;
		ck_assert_msg(errbuf[0] != '\0', "%s: an error without a message", what);
		ck_assert_msg(r == VIGIL_E_IO || r == VIGIL_E_FULL,
			      "%s: error %d (%s), wanted an I/O or disk-full error", what, r, errbuf);
	} else {
		t->absorbed++;
	}
	ck_assert_msg(after.size == before.size || after.size == before.size + PAGE_POSTS,
		      "%s: %" PRIu64 " entries before, %" PRIu64 " after: half a page", what,
		      before.size, after.size);
	if (after.size == before.size) {
		t->absent++;
		ck_assert_msg(r != VIGIL_OK, "%s: success reported, page absent", what);
		ck_assert_msg(strcmp(after.cursor, before.cursor) == 0,
			      "%s: page absent but the cursor moved to %s", what, after.cursor);
	} else {
		/* Stored: with its cursor, re-checks and alert. */
		t->present++;
		ck_assert_msg(strcmp(after.cursor, page->cursor) == 0,
			      "%s: page stored but the cursor is %s", what, after.cursor);
	}
	ck_assert_msg(after.without_recheck == 0, "%s: %ld captures without a re-check", what,
		      after.without_recheck);
	ck_assert_msg(after.alerted == after.insults, "%s: %ld insults, %ld in alerts", what,
		      after.insults, after.alerted);
	/* The daemon fetches the page again and stores it: exactly once. */
	errbuf[0] = '\0';
	r = watch_store_page(w, &w->sources[0], page, errbuf);
	ck_assert_msg(r == VIGIL_OK, "%s: the retry failed: %s", what, errbuf);
	look(cur, what, false);
	ck_assert_msg(cur->size == before.size + PAGE_POSTS, "%s: after the retry %" PRIu64
		      " entries, wanted %" PRIu64, what, cur->size, before.size + PAGE_POSTS);
	ck_assert_str_eq(cur->cursor, page->cursor);
	ck_assert_int_eq(cur->without_recheck, 0);
	ck_assert_int_eq(cur->alerted, cur->insults);
	vigil_page_free(page);
	return true;
}

/* Faults per ledger: verification costs grow with the ledger, so every
 * SEGMENT faults start again on a fresh one. */
#define SEGMENT 12

/* One kind of fault at every N from `*n` on, at most SEGMENT of them, on a
 * fresh ledger; false once a store made fewer than *n calls of `op`.
 * Phase 1 sets a WAL checkpoint after every commit. */
static bool
segment(enum fault_op op, int code, bool sticky, int phase, long *n, struct tally *t)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_verify_result vr;
	vigil_ledger *l = NULL;
	vigil_watch *w = NULL;
	vigil_config *cfg;
	struct seen cur;
	unsigned k = 0;
	bool more = true;

	dir = test_tmpdir();
	db_path = test_path(dir, "vigil.db");
	conf_path = test_path(dir, "vigil.conf");
	cfg = load_config();
	ck_assert_msg(vigil_watch_new(cfg, &w, errbuf) == VIGIL_OK, "watch: %s", errbuf);
	if (phase == 1)
		ck_assert_int_eq(sqlite3_exec(w->db, "PRAGMA wal_autocheckpoint = 1", NULL, NULL,
					      NULL), SQLITE_OK);
	look(&cur, "start", true);
	while (more && k < SEGMENT) {
		more = one_fault(w, k++, op, *n, code, sticky, &cur, t);
		*n += more;
	}
	t->pages += k;
	vigil_watch_free(w);
	vigil_config_free(cfg);

	/* Closed; reopened through the real VFS: every page once, verified. */
	ck_assert_int_eq(sqlite3_vfs_register(fault.real, 1), SQLITE_OK);
	ck_assert_msg(vigil_ledger_open(db_path, NULL, VIGIL_OPEN_READONLY, &l, errbuf) == VIGIL_OK,
		      "%s", errbuf);
	ck_assert_msg(vigil_ledger_verify(l, NULL, &vr, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_int_eq(count(ledger_db(l), "SELECT count(*) FROM (SELECT post_id FROM entries "
			       "WHERE kind = 'capture' GROUP BY post_id HAVING count(*) > 1)"), 0);
	ck_assert_int_eq(count(ledger_db(l), "SELECT count(*) FROM entries WHERE kind = 'capture'"),
			 (long)k * PAGE_POSTS);
	t->entries += vr.entries;
	vigil_ledger_close(l);
	ck_assert_int_eq(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
	free(db_path);
	free(conf_path);
	test_rmdir(dir);
	return more;
}

START_TEST(test_store_page_faults)
{
	/* An I/O error strikes once; a full disk stays full until the
	 * store gives up. */
	static const struct { enum fault_op op; int code; bool sticky; } kinds[] = {
		{ OP_WRITE, SQLITE_IOERR_WRITE, false }, { OP_WRITE, SQLITE_FULL, true },
		{ OP_SYNC, SQLITE_IOERR_FSYNC, false }, { OP_SYNC, SQLITE_FULL, true },
		{ OP_TRUNCATE, SQLITE_IOERR_TRUNCATE, false }, { OP_TRUNCATE, SQLITE_FULL, true },
	};
	struct tally t = { 0 };
	unsigned total = 0;

	shim_register();
	/* Twice: as vigild runs, where SQLite copies the WAL into the
	 * database every thousand pages or so; then with that checkpoint
	 * after every commit, so that it is faulted too. */
	for (int phase = 0; phase < 2; phase++)
		for (size_t i = 0; i < VIGIL_ARRAY_SIZE(kinds); i++)
			for (long n = 1; segment(kinds[i].op, kinds[i].code, kinds[i].sticky, phase,
						 &n, &t);)
				;
	sqlite3_vfs_unregister(&shim_vfs);

	for (int op = 0; op < OP_COUNT; op++)
		total += t.injected[op];
	printf("vfs-faults: %u faults injected into the stores of %u pages (%u writes, %u syncs, "
	       "%u truncates; a store makes up to %ld writes, %ld syncs, %ld truncates): "
	       "%u reported as errors, %u absorbed by SQLite; after the fault %u pages "
	       "absent with the cursor unmoved, %u wholly present; every retry stored its "
	       "page once; %" PRIu64 " entries verified at the end\n", total, t.pages,
	       t.injected[OP_WRITE], t.injected[OP_SYNC], t.injected[OP_TRUNCATE],
	       t.calls[OP_WRITE], t.calls[OP_SYNC], t.calls[OP_TRUNCATE], t.failed, t.absorbed,
	       t.absent, t.present, t.entries);
	ck_assert_uint_gt(t.injected[OP_WRITE], 0);
	ck_assert_uint_gt(t.injected[OP_SYNC], 0);
	ck_assert_uint_gt(t.injected[OP_TRUNCATE], 0);
}
END_TEST

/* The -shm file cannot be opened for a moment, as when root's vigilctl
 * has just created it and not yet given it to the ledger's owner: the
 * open is tried again and succeeds. One that stays unopenable fails with
 * the reason, after a bounded wait. */
START_TEST(test_open_retry)
{
	char errbuf[VIGIL_ERRBUF_SIZE];
	char *d = test_tmpdir();
	char *db = test_path(d, "vigil.db"), *key = test_path(d, "signing.key");
	vigil_ledger *l = NULL;
	uint64_t size = 0;

	shim_register();
	ck_assert_msg(vigil_ledger_open(db, key, VIGIL_OPEN_CREATE, &l, errbuf) == VIGIL_OK,
		      "create: %s", errbuf);
	vigil_ledger_close(l);
	l = NULL;

	/* Refused three times, then allowed. */
	arm(OP_SHM_MAP, 1, SQLITE_CANTOPEN, false);
	fault.fail_last = 3;
	ck_assert_msg(vigil_ledger_open(db, key, 0, &l, errbuf) == VIGIL_OK,
		      "open after three refusals: %s", errbuf);
	fault.armed = false;
	ck_assert(fault.fired);
	ck_assert_int_gt(fault.calls[OP_SHM_MAP], 3);
	ck_assert_int_eq(vigil_ledger_size(l, &size), VIGIL_OK);
	ck_assert_uint_eq(size, 1);  /* the key entry */
	vigil_ledger_close(l);
	l = NULL;

	/* Refused for good: an error that names the ledger, no ledger. */
	arm(OP_SHM_MAP, 1, SQLITE_CANTOPEN, true);
	ck_assert_int_eq(vigil_ledger_open(db, key, 0, &l, errbuf), VIGIL_E_IO);
	fault.armed = false;
	ck_assert_ptr_null(l);
	ck_assert_msg(strstr(errbuf, db) != NULL, "error without the path: %s", errbuf);

	sqlite3_vfs_unregister(&shim_vfs);
	free(db);
	free(key);
	test_rmdir(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vfs-faults");
	TCase *tc = tcase_create("store-page");
	SRunner *sr;
	int failed;

	if (vigil_init() != VIGIL_OK)
		return EXIT_FAILURE;
	tcase_add_test(tc, test_store_page_faults);
	tcase_add_test(tc, test_open_retry);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
