/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle-io.c - writing and reading the files of an export bundle, as a
 * directory or as one tar file (libarchive). Writers never leave a half-
 * written bundle: they work under a temporary name and rename at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle-int.h"

#define TAR_MAX_MEMBERS 1000000
#define TAR_MAX_TOTAL ((size_t)4 << 30)

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
remove_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

vigil_error
sink_open(struct sink *s, const char *out, bool tar, int64_t mtime, char *errbuf)
{
	struct stat st;

	memset(s, 0, sizeof(s[0]));
	s->mtime = mtime;
	if (lstat(out, &st) == 0)
		return vigil_fail(errbuf, VIGIL_E_EXISTS, "'%s' already exists", out);
	s->final = strdup(out);
	if (!s->final || asprintf(&s->tmp, "%s.partial-XXXXXX", out) < 0)
		return VIGIL_E_NOMEM;
	if (!tar) {
		if (!mkdtemp(s->tmp))
			return vigil_fail(errbuf, VIGIL_E_IO, "Failed to create '%s': %s", s->tmp,
					  strerror(errno));
		chmod(s->tmp, 0755);
		return VIGIL_OK;
	}
	{
		int fd = mkostemp(s->tmp, O_CLOEXEC);

		if (fd < 0)
			return vigil_fail(errbuf, VIGIL_E_IO, "Failed to create '%s': %s", s->tmp,
					  strerror(errno));
		fchmod(fd, 0644);
		s->ar = archive_write_new();
		if (!s->ar || archive_write_set_format_pax_restricted(s->ar) != ARCHIVE_OK ||
		    archive_write_open_fd(s->ar, fd) != ARCHIVE_OK) {
			close(fd);
			return vigil_fail(errbuf, VIGIL_E_IO, "Failed to start tar '%s'", s->tmp);
		}
		s->fd = fd;
	}
	return VIGIL_OK;
}

static vigil_error
mkdirs_for(const char *base, const char *rel)
{
	char path[4096];
	const char *slash = strrchr(rel, '/');

	if (!slash)
		return VIGIL_OK;
	snprintf(path, sizeof(path), "%s/%.*s", base, (int)(slash - rel), rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return VIGIL_E_IO;
	return VIGIL_OK;
}

vigil_error
sink_write(struct sink *s, const char *rel, const void *data, size_t len, char *errbuf)
{
	if (s->ar) {
		struct archive_entry *e = archive_entry_new();
		vigil_error r = VIGIL_OK;

		if (!e)
			return VIGIL_E_NOMEM;
		archive_entry_set_pathname(e, rel);
		archive_entry_set_size(e, (la_int64_t)len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, s->mtime, 0);
		if (archive_write_header(s->ar, e) != ARCHIVE_OK ||
		    (len && archive_write_data(s->ar, data, len) != (la_ssize_t)len))
			r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to write '%s' into '%s': %s", rel,
				       s->final, archive_error_string(s->ar));
		archive_entry_free(e);
		return r;
	} else {
		char *path = NULL;
		vigil_error r;

		if (mkdirs_for(s->tmp, rel) != VIGIL_OK)
			return vigil_fail(errbuf, VIGIL_E_IO, "Failed to create a folder for '%s': %s",
					  rel, strerror(errno));
		if (asprintf(&path, "%s/%s", s->tmp, rel) < 0)
			return VIGIL_E_NOMEM;
		r = vigil_write_file(path, data, len, 0644, errbuf);
		free(path);
		return r;
	}
}

vigil_error
sink_close(struct sink *s, bool commit, char *errbuf)
{
	vigil_error r = VIGIL_OK;

	if (s->ar) {
		if (archive_write_close(s->ar) != ARCHIVE_OK && commit)
			r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to finish '%s': %s", s->tmp,
				       archive_error_string(s->ar));
		archive_write_free(s->ar);
		if (r == VIGIL_OK && commit && fsync(s->fd) < 0)
			r = vigil_fail(errbuf, errno == ENOSPC ? VIGIL_E_FULL : VIGIL_E_IO,
				       "Failed to write '%s': %s", s->tmp, strerror(errno));
		close(s->fd);
	}
	if (s->tmp && commit && r == VIGIL_OK) {
		if (rename(s->tmp, s->final) < 0)
			r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to rename '%s' to '%s': %s",
				       s->tmp, s->final, strerror(errno));
		else
			vigil_fsync_dir(s->final);
	}
	if (s->tmp && (!commit || r != VIGIL_OK))
		remove_tree(s->tmp);
	free(s->tmp);
	free(s->final);
	memset(s, 0, sizeof(*s));
	return r;
}

/* ---- reading ---- */

static int
member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

/* Read the regular members of tar file `path`, `file_size` bytes long. */
static vigil_error
load_tar(struct source *src, const char *path, uint64_t file_size, char *errbuf)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	size_t total = 0, alloc = 0;
	vigil_error r = VIGIL_OK;
	int rc;

	if (!ar)
		return VIGIL_E_NOMEM;
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
		r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to open '%s': %s", path,
			       archive_error_string(ar));
		goto out;
	}
	while ((rc = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		struct member *m;

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (!name || name[0] == '/' || strstr(name, "..")) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "%s: member '%s' has an unsafe path",
				       path, name ? name : "");
			goto out;
		}
		/* A header may claim any size: never allocate more than the
		 * file could hold. */
		if (size >= 0 && (uint64_t)size > file_size) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "%s: member '%s' claims %lld bytes, more "
				       "than the whole archive (%llu bytes)", path, name,
				       (long long)size, (unsigned long long)file_size);
			goto out;
		}
		if (size < 0 || (size_t)size > TAR_MAX_TOTAL - total ||
		    src->n >= TAR_MAX_MEMBERS) {
			r = vigil_fail(errbuf, VIGIL_E_TOOBIG, "%s: archive too large", path);
			goto out;
		}
		if (src->n == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			struct member *p = realloc(src->members, na * sizeof(*p));

			if (!p) {
				r = VIGIL_E_NOMEM;
				goto out;
			}
			src->members = p;
			alloc = na;
		}
		m = &src->members[src->n];
		m->name = strdup(strncmp(name, "./", 2) == 0 ? name + 2 : name);
		m->data = malloc((size_t)size + 1);
		if (!m->name || !m->data) {
			free(m->name);
			free(m->data);
			r = VIGIL_E_NOMEM;
			goto out;
		}
		m->len = (size_t)size;
		src->n++;
		if (size > 0 && archive_read_data(ar, m->data, (size_t)size) != size) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "member '%s' is truncated",
				       m->name);
			goto out;
		}
		m->data[m->len] = '\0';
		total += (size_t)size;
	}
	if (rc != ARCHIVE_EOF)
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "%s: not a readable tar file: %s", path,
			       archive_error_string(ar));
	if (src->n > 1)     /* qsort(NULL, 0, ...) is undefined */
		qsort(src->members, src->n, sizeof(*src->members), member_cmp);
out:
	archive_read_free(ar);
	return r;
}

vigil_error
source_open(struct source *src, const char *path, char *errbuf)
{
	struct stat st;
	vigil_error r;

	memset(src, 0, sizeof(*src));
	if (stat(path, &st) < 0)
		return vigil_fail(errbuf, VIGIL_E_NOTFOUND, "Failed to open '%s': %s", path,
				  strerror(errno));
	src->path = strdup(path);
	if (!src->path)
		return VIGIL_E_NOMEM;
	if (S_ISDIR(st.st_mode)) {
		src->dir = true;
	} else {
		r = load_tar(src, path, (uint64_t)st.st_size, errbuf);
		if (r != VIGIL_OK)
			return r;
	}
	/* A bundle may sit inside one top-level folder. */
	if (source_read(src, "entries.jsonl", 0, NULL, NULL, NULL) == VIGIL_E_NOTFOUND) {
		const char *name = src->dir ? NULL : (src->n ? src->members[0].name : NULL);
		const char *slash = name ? strchr(name, '/') : NULL;

		if (slash) {
			src->prefix = strndup(name, (size_t)(slash - name + 1));
			if (!src->prefix)
				return VIGIL_E_NOMEM;
		}
	}
	return VIGIL_OK;
}

void
source_close(struct source *src)
{
	for (size_t i = 0; i < src->n; i++) {
		free(src->members[i].name);
		free(src->members[i].data);
	}
	free(src->members);
	free(src->path);
	free(src->prefix);
	memset(src, 0, sizeof(*src));
}

vigil_error
source_read(struct source *src, const char *rel, size_t max, char **data, size_t *len,
	    char *errbuf)
{
	char name[512];
	vigil_error r;

	snprintf(name, sizeof(name), "%s%s", src->prefix ? src->prefix : "", rel);
	if (src->dir) {
		char *path = NULL;

		if (asprintf(&path, "%s/%s", src->path, name) < 0)
			return VIGIL_E_NOMEM;
		if (!data) {
			r = access(path, F_OK) == 0 ? VIGIL_OK : VIGIL_E_NOTFOUND;
		} else {
			r = vigil_read_file(path, max, data, len, errbuf);
		}
		free(path);
		return r;
	} else {
		struct member key = { .name = name };
		struct member *m = src->n ? bsearch(&key, src->members, src->n, sizeof(*m),
						    member_cmp) : NULL;

		if (!m)
			return vigil_fail(errbuf, VIGIL_E_NOTFOUND, "%s: no member '%s'", src->path,
					  name);
		if (!data)
			return VIGIL_OK;
		if (m->len > max)
			return vigil_fail(errbuf, VIGIL_E_TOOBIG, "%s: '%s' is too large", src->path,
					  name);
		*data = malloc(m->len + 1);
		if (!*data)
			return VIGIL_E_NOMEM;
		memcpy(*data, m->data, m->len + 1);
		*len = m->len;
		return VIGIL_OK;
	}
}

vigil_error
source_list(struct source *src, const char *dir, bool (*fn)(const char *name, void *userdata),
	    void *userdata)
{
	char prefix[512];
	size_t plen;

	snprintf(prefix, sizeof(prefix), "%s%s/", src->prefix ? src->prefix : "", dir);
	plen = strlen(prefix);
	if (src->dir) {
		char *path = NULL;
		struct dirent *de;
		DIR *d;
		bool ok = true;

		if (asprintf(&path, "%s/%s", src->path, prefix) < 0)
			return VIGIL_E_NOMEM;
		d = opendir(path);
		free(path);
		if (!d)
			return VIGIL_E_NOTFOUND;
		while (ok && (de = readdir(d)))
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				ok = fn(de->d_name, userdata);
		closedir(d);
		return ok ? VIGIL_OK : VIGIL_E_VERIFY;
	}
	for (size_t i = 0; i < src->n; i++)
		if (strncmp(src->members[i].name, prefix, plen) == 0 &&
		    !fn(src->members[i].name + plen, userdata))
			return VIGIL_E_VERIFY;
	return VIGIL_OK;
}
