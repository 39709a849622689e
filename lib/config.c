/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - vigil.conf: read with inih, checked thoroughly, every problem
 * reported with file and line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "vigil-private.h"

struct cparse {
	vigil_config *c;
	const char *path;
	FILE *f;
	unsigned line;
	unsigned section_line;    /* line of the last [section] header */
	char section[128];        /* the section of the previous line */
	char header[128];         /* the name in the last [section] header */
	unsigned vigil_line;      /* line of the [vigil] header, 0 before it */
	vigil_conf_clinician *clin;
	vigil_conf_source *src;
	vigil_conf_problem_fn problem;
	void *userdata;
	unsigned problems;
	char first[VIGIL_ERRBUF_SIZE];
};

static void
problem_at(struct cparse *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem_at(struct cparse *p, unsigned line, const char *fmt, ...)
{
	char what[VIGIL_ERRBUF_SIZE - 64], msg[VIGIL_ERRBUF_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s:%u: %s", p->path, line, what);
	if (p->problems++ == 0)
		memcpy(p->first, msg, sizeof(msg));
	if (p->problem)
		p->problem(msg, p->userdata);
}

/* inih reads through this, so we know the line number. */
static char *
reader(char *str, int num, void *stream)
{
	struct cparse *p = stream;
	int c, n = 0;
	bool long_line = false;

	if (feof(p->f))
		return NULL;
	while ((c = getc(p->f)) != EOF) {
		if (c == '\n')
			break;
		if (n < num - 2)
			str[n++] = (char)c;
		else
			long_line = true;
	}
	if (c == EOF && n == 0 && !long_line)
		return NULL;
	p->line++;
	if (long_line) {
		problem_at(p, p->line, "line longer than %d characters", num - 2);
		n = 0;  /* ignore the line rather than misread it */
	}
	{
		int i = 0;

		while (i < n && (str[i] == ' ' || str[i] == '\t'))
			i++;
		if (i < n && str[i] == '[') {
			const char *end = memchr(str + i + 1, ']', (size_t)(n - i - 1));
			int len = end ? (int)(end - (str + i + 1)) : -1;

			/* The same header twice in a row is one section to inih,
			 * so its keys would silently merge: say so here. A header
			 * repeated further down is caught when its section starts. */
			if (len >= 0 && p->section_line && (size_t)len == strlen(p->header) &&
			    memcmp(str + i + 1, p->header, (size_t)len) == 0)
				problem_at(p, p->line, "[%s] appears twice (first at line %u)", p->header,
					   p->section_line);
			else
				p->section_line = p->line;
			if (len >= 0)
				snprintf(p->header, sizeof(p->header), "%.*s", len, str + i + 1);
		}
	}
	str[n++] = '\n';
	str[n] = '\0';
	return str;
}

static char *
dup_trim(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

/* "a, b, c" -> array of trimmed non-empty strings. */
static bool
split_list(const char *value, char ***out, size_t *n)
{
	char *copy = strdup(value), *save = NULL, *tok;
	char **list = NULL;
	size_t count = 0;

	if (!copy)
		return false;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *t = dup_trim(tok), **p;

		if (!t)
			goto fail;
		if (!*t) {
			free(t);
			continue;
		}
		p = realloc(list, (count + 1) * sizeof(*p));
		if (!p) {
			free(t);
			goto fail;
		}
		list = p;
		list[count++] = t;
	}
	free(copy);
	*out = list;
	*n = count;
	return true;
fail:
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
	free(copy);
	return false;
}

static void
free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* A list key given again replaces the list it gave before. */
static void
set_list(char ***field, size_t *n, const char *value)
{
	char **list;
	size_t count;

	if (!split_list(value, &list, &count))
		return;
	free_list(*field, *n);
	*field = list;
	*n = count;
}

static bool
set_str(char **field, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return false;
	free(*field);
	*field = v;
	return true;
}

static bool
parse_uint(struct cparse *p, const char *name, const char *value, unsigned min,
	   unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' || v < min || v > max) {
		problem_at(p, p->line, "%s: expected a whole number from %u to %u, not '%s'", name,
			   min, max, value);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static int
category_of(const char *name)
{
	for (int i = 0; i < VIGIL_CATEGORY_COUNT; i++)
		if (strcmp(name, vigil_category_name((vigil_category)i)) == 0)
			return i;
	return -1;
}

static void check_url(struct cparse *p, unsigned line, const char *what, const char *url);

/* CA certificates are public: readable, a regular file, PEM. */
static void
check_ca_file(struct cparse *p, unsigned line, const char *path)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----";
	struct stat st;
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		problem_at(p, line, "ca_file '%s': %s", path, strerror(errno));
		return;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		problem_at(p, line, "ca_file '%s' is not a regular file", path);
	} else if (st.st_size > 16 << 20) {
		problem_at(p, line, "ca_file '%s' is larger than 16 MiB", path);
	} else if (!(text = calloc(1, (size_t)st.st_size + 1))) {
		problem_at(p, line, "ca_file '%s': out of memory", path);
	} else {
		n = fread(text, 1, (size_t)st.st_size, f);
		if (ferror(f))
			problem_at(p, line, "ca_file '%s': %s", path, strerror(errno));
		else if (!memmem(text, n, pem, sizeof(pem) - 1))
			problem_at(p, line, "ca_file '%s' holds no PEM certificate (%s)", path, pem);
	}
	free(text);
	fclose(f);
}

static void
vigil_key_value(struct cparse *p, const char *name, const char *value)
{
	vigil_config *c = p->c;
	static const struct { const char *name; size_t off; } strs[] = {
		{ "database", offsetof(vigil_config, database) },
		{ "signing_key", offsetof(vigil_config, signing_key) },
		{ "rules", offsetof(vigil_config, rules) },
		{ "ca_file", offsetof(vigil_config, ca_file) },
		{ "smtp_url", offsetof(vigil_config, smtp_url) },
		{ "smtp_from", offsetof(vigil_config, smtp_from) },
		{ "smtp_user", offsetof(vigil_config, smtp_user) },
		{ "smtp_password_file", offsetof(vigil_config, smtp_password_file) },
		{ "witness_webhook", offsetof(vigil_config, witness_webhook) },
		{ "witness_email", offsetof(vigil_config, witness_email) },
		{ "reporter_name", offsetof(vigil_config, reporter_name) },
		{ "reporter_email", offsetof(vigil_config, reporter_email) },
	};

	if (strcmp(name, "smtp_url") == 0 && strncmp(value, "smtps://", 8) != 0 &&
	    strncmp(value, "smtp://", 7) != 0)
		problem_at(p, p->line, "smtp_url: expected smtps:// or smtp:// (with STARTTLS), not '%s'",
			   value);
	if (strcmp(name, "witness_webhook") == 0)
		check_url(p, p->line, name, value);
	if (strcmp(name, "ca_file") == 0)
		check_ca_file(p, p->line, value);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(strs); i++)
		if (strcmp(name, strs[i].name) == 0) {
			set_str((char **)((char *)c + strs[i].off), value);
			return;
		}
	if (strcmp(name, "poll_interval") == 0) {
		parse_uint(p, name, value, 1, 86400 * 7, &c->poll_interval);
	} else if (strcmp(name, "recheck_interval") == 0) {
		parse_uint(p, name, value, 1, 86400 * 365, &c->recheck_interval);
	} else if (strcmp(name, "recheck_window") == 0) {
		parse_uint(p, name, value, 0, 86400 * 3650, &c->recheck_window);
	} else if (strcmp(name, "alert_group_window") == 0) {
		parse_uint(p, name, value, 0, 86400, &c->alert_group_window);
	} else if (strcmp(name, "alert_labels") == 0) {
		char **list;
		size_t n;

		if (!split_list(value, &list, &n))
			return;
		memset(c->alert_labels, 0, sizeof(c->alert_labels));
		for (size_t i = 0; i < n; i++) {
			int cat = category_of(list[i]);

			if (cat < 0)
				problem_at(p, p->line, "alert_labels: unknown label '%s' "
					   "(threat, sexual, doxxing, hate, insult)", list[i]);
			else
				c->alert_labels[cat] = true;
			free(list[i]);
		}
		free(list);
	} else if (strncmp(name, "threshold_", 10) == 0 && category_of(name + 10) >= 0) {
		unsigned t;

		if (parse_uint(p, name, value, 1, 1000, &t))
			c->thresholds[category_of(name + 10)] = (int)t;
	} else {
		problem_at(p, p->line, "unknown key '%s' in [vigil]", name);
	}
}

static void
clinician_key_value(struct cparse *p, const char *name, const char *value)
{
	vigil_conf_clinician *k = p->clin;

	if (strcmp(name, "name") == 0) {
		set_str(&k->name, value);
	} else if (strcmp(name, "aliases") == 0) {
		set_list(&k->aliases, &k->n_aliases, value);
	} else if (strcmp(name, "handles") == 0) {
		set_list(&k->handles, &k->n_handles, value);
	} else if (strcmp(name, "alert_webhook") == 0) {
		check_url(p, p->line, name, value);
		set_str(&k->alert_webhook, value);
	} else if (strcmp(name, "alert_email") == 0) {
		if (!strchr(value, '@'))
			problem_at(p, p->line, "alert_email: '%s' is not an e-mail address", value);
		set_str(&k->alert_email, value);
	} else if (strcmp(name, "timezone") == 0) {
		set_str(&k->timezone, value);
	} else {
		problem_at(p, p->line, "unknown key '%s' in [clinician %s]", name, k->id);
	}
}

static void
source_key_value(struct cparse *p, const char *name, const char *value)
{
	vigil_conf_source *s = p->src;
	static const struct { const char *name; size_t off; } strs[] = {
		{ "platform", offsetof(vigil_source_config, platform) },
		{ "base_url", offsetof(vigil_source_config, base_url) },
		{ "auth_url", offsetof(vigil_source_config, auth_url) },
		{ "mode", offsetof(vigil_source_config, mode) },
		{ "query", offsetof(vigil_source_config, query) },
		{ "token_file", offsetof(vigil_source_config, token_file) },
		/* The platform's own names for the same settings. */
		{ "password_file", offsetof(vigil_source_config, token_file) },
		{ "api_key_file", offsetof(vigil_source_config, token_file) },
		{ "identifier", offsetof(vigil_source_config, account) },
		{ "user_id", offsetof(vigil_source_config, account) },
		{ "username", offsetof(vigil_source_config, account) },
		{ "account", offsetof(vigil_source_config, account) },
		{ "channel_id", offsetof(vigil_source_config, channel) },
		{ "video_id", offsetof(vigil_source_config, video) },
	};

	if (strcmp(name, "clinician") == 0) {
		set_str(&s->clinician, value);
		return;
	}
	if (strcmp(name, "interval") == 0) {
		parse_uint(p, name, value, 1, 86400 * 7, &s->interval);
		return;
	}
	if (strcmp(name, "timeout") == 0) {
		unsigned t;

		if (parse_uint(p, name, value, 1, 3600, &t))
			s->src.timeout_ms = (long)t * 1000;
		return;
	}
	if (strcmp(name, "page_size") == 0) {
		parse_uint(p, name, value, 1, 1000, &s->src.page_size);
		return;
	}
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(strs); i++) {
		if (strcmp(name, strs[i].name) == 0) {
			char **field = (char **)((char *)&s->src + strs[i].off);

			if (*field)
				problem_at(p, p->line, "'%s' sets a value given already in [source %s]",
					   name, s->name);
			if (*value)
				set_str(field, value);
			return;
		}
	}
	problem_at(p, p->line, "unknown key '%s' in [source %s]", name, s->name);
}

static bool
new_section(struct cparse *p, const char *section)
{
	const char *sp = strchr(section, ' ');
	char *id;

	p->clin = NULL;
	p->src = NULL;
	if (strcmp(section, "vigil") == 0) {
		if (p->vigil_line)
			problem_at(p, p->section_line, "[vigil] appears twice (first at line %u)",
				   p->vigil_line);
		else
			p->vigil_line = p->section_line;
		return true;
	}
	if (!sp || !sp[1] || strchr(sp + 1, ' ')) {
		problem_at(p, p->section_line, "unknown section [%s] (vigil, clinician ID, source NAME)",
			   section);
		return false;
	}
	id = strdup(sp + 1);
	if (!id)
		return false;
	if (strncmp(section, "clinician ", 10) == 0) {
		vigil_conf_clinician *k;

		if (vigil_config_clinician(p->c, id)) {
			problem_at(p, p->section_line, "[clinician %s] appears twice", id);
			free(id);
			return false;
		}
		k = realloc(p->c->clinicians, (p->c->n_clinicians + 1) * sizeof(*k));
		if (!k) {
			free(id);
			return false;
		}
		p->c->clinicians = k;
		p->clin = &k[p->c->n_clinicians++];
		memset(p->clin, 0, sizeof(*p->clin));
		p->clin->id = id;
		p->clin->line = p->section_line;
		return true;
	}
	if (strncmp(section, "source ", 7) == 0) {
		vigil_conf_source *s;

		for (size_t i = 0; i < p->c->n_sources; i++)
			if (strcmp(p->c->sources[i].name, id) == 0) {
				problem_at(p, p->section_line, "[source %s] appears twice", id);
				free(id);
				return false;
			}
		s = realloc(p->c->sources, (p->c->n_sources + 1) * sizeof(*s));
		if (!s) {
			free(id);
			return false;
		}
		p->c->sources = s;
		p->src = &s[p->c->n_sources++];
		memset(p->src, 0, sizeof(*p->src));
		p->src->name = id;
		p->src->line = p->section_line;
		return true;
	}
	free(id);
	problem_at(p, p->section_line, "unknown section [%s] (vigil, clinician ID, source NAME)", section);
	return false;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct cparse *p = user;

	if (strcmp(section, p->section) != 0) {
		snprintf(p->section, sizeof(p->section), "%s", section);
		new_section(p, section);
	}
	if (strcmp(section, "vigil") == 0)
		vigil_key_value(p, name, value);
	else if (p->clin)
		clinician_key_value(p, name, value);
	else if (p->src)
		source_key_value(p, name, value);
	else if (!section[0])
		problem_at(p, p->line, "key '%s' outside any section", name);
	return 1;
}

/* A secret file: readable, regular, and not readable by group or others.
 * A bare name is looked up among systemd credentials. */
static void
check_secret(struct cparse *p, unsigned line, const char *what, char **path)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	struct stat st;
	int fd;

	if (!*path)
		return;
	if (!strchr(*path, '/') && creds && *creds) {
		char *full = NULL;

		if (asprintf(&full, "%s/%s", creds, *path) < 0)
			return;
		free(*path);
		*path = full;
	}
	fd = open(*path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		problem_at(p, line, "%s '%s': %s", what, *path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		problem_at(p, line, "%s '%s' is not a regular file", what, *path);
	else if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
		problem_at(p, line, "%s '%s' has mode %04o; it must not be readable by group or others (chmod 600)",
			   what, *path, (unsigned)(st.st_mode & 07777));
	close(fd);
}

static void
check_url(struct cparse *p, unsigned line, const char *what, const char *url)
{
	char err[VIGIL_ERRBUF_SIZE] = "";

	if (url && http_check_url(url, err) != VIGIL_OK)
		problem_at(p, line, "%s: %s", what, err);
}

static void
check_all(struct cparse *p)
{
	static const char *const platforms[] = { "mastodon", "bluesky", "x", "reddit", "youtube" };
	vigil_config *c = p->c;

	check_secret(p, 1, "smtp_password_file", &c->smtp_password_file);
	if (c->witness_email && !c->smtp_url)
		problem_at(p, 1, "witness_email needs smtp_url in [vigil]");
	for (size_t i = 0; i < c->n_clinicians; i++) {
		vigil_conf_clinician *k = &c->clinicians[i];

		if (k->alert_email && !c->smtp_url)
			problem_at(p, k->line, "[clinician %s] has alert_email but [vigil] has no smtp_url",
				   k->id);
		if (!k->name && !set_str(&k->name, k->id))
			return;
	}
	for (size_t i = 0; i < c->n_sources; i++) {
		vigil_conf_source *s = &c->sources[i];
		bool known = false;

		for (size_t j = 0; s->src.platform && j < VIGIL_ARRAY_SIZE(platforms); j++)
			known = known || strcmp(s->src.platform, platforms[j]) == 0;
		if (!s->src.platform)
			problem_at(p, s->line, "[source %s] needs platform", s->name);
		else if (!known)
			problem_at(p, s->line, "[source %s]: unknown platform '%s' "
				   "(mastodon, bluesky, x, reddit, youtube)", s->name, s->src.platform);
		if (!s->clinician)
			problem_at(p, s->line, "[source %s] needs clinician", s->name);
		else if (!vigil_config_clinician(c, s->clinician))
			problem_at(p, s->line, "[source %s] names clinician '%s', who has no [clinician %s] section",
				   s->name, s->clinician, s->clinician);
		if (s->src.mode && strcmp(s->src.mode, "mentions") != 0 &&
		    strcmp(s->src.mode, "search") != 0)
			problem_at(p, s->line, "[source %s]: mode must be mentions or search", s->name);
		if (s->src.mode && strcmp(s->src.mode, "search") == 0 && !s->src.query)
			problem_at(p, s->line, "[source %s]: search mode needs query", s->name);
		check_url(p, s->line, "base_url", s->src.base_url);
		check_url(p, s->line, "auth_url", s->src.auth_url);
		check_secret(p, s->line, "token_file", (char **)&s->src.token_file);
		s->src.ca_file = c->ca_file;  /* owned by c */
		if (!s->interval)
			s->interval = c->poll_interval;
	}
}

VIGIL_EXPORT const vigil_conf_clinician *
vigil_config_clinician(const vigil_config *c, const char *id)
{
	for (size_t i = 0; i < c->n_clinicians; i++)
		if (strcmp(c->clinicians[i].id, id) == 0)
			return &c->clinicians[i];
	return NULL;
}

/* Parse an open stream; `path` names it in messages and in the result. */
static vigil_error
config_parse(const char *path, FILE *f, vigil_config **out, vigil_conf_problem_fn problem,
	     void *userdata, char *errbuf)
{
	struct cparse p;
	vigil_config *c;
	int rc;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.problem = problem;
	p.userdata = userdata;
	p.f = f;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		return VIGIL_E_NOMEM;
	}
	c->poll_interval = 300;
	c->recheck_interval = 86400;
	c->recheck_window = 30 * 86400;
	c->alert_group_window = 3600;
	c->alert_labels[VIGIL_THREAT] = true;
	p.c = c;
	p.section[0] = '\0';
	rc = ini_parse_stream(reader, &p, handler, &p);
	if (rc > 0)
		problem_at(&p, (unsigned)rc, "syntax error (expected [section] or key = value)");
	else if (rc < 0)
		problem_at(&p, 0, "could not be read");
	check_all(&p);
	if (p.problems) {
		vigil_config_free(c);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "%s%s", p.first,
				  p.problems > 1 ? " (and more)" : "");
	}
	*out = c;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_config_load(const char *path, vigil_config **out, vigil_conf_problem_fn problem,
		  void *userdata, char *errbuf)
{
	vigil_error r;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return vigil_fail(errbuf, errno == ENOENT ? VIGIL_E_NOTFOUND : VIGIL_E_IO,
				  "Failed to open '%s': %s", path, strerror(errno));
	r = config_parse(path, f, out, problem, userdata, errbuf);
	fclose(f);
	return r;
}

vigil_error
config_load_buffer(const char *name, const char *data, size_t size, vigil_config **out,
		   vigil_conf_problem_fn problem, void *userdata, char *errbuf)
{
	vigil_error r;
	FILE *f;

	f = fmemopen(size ? (void *)data : (void *)"", size, "r");
	if (!f)
		return vigil_fail(errbuf, VIGIL_E_NOMEM, "Failed to open '%s' in memory: %s", name,
				  strerror(errno));
	r = config_parse(name, f, out, problem, userdata, errbuf);
	fclose(f);
	return r;
}

VIGIL_EXPORT void
vigil_config_free(vigil_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_clinicians; i++) {
		vigil_conf_clinician *k = &c->clinicians[i];

		free(k->id);
		free(k->name);
		free_list(k->aliases, k->n_aliases);
		free_list(k->handles, k->n_handles);
		free(k->alert_webhook);
		free(k->alert_email);
		free(k->timezone);
	}
	for (size_t i = 0; i < c->n_sources; i++) {
		vigil_source_config *s = &c->sources[i].src;

		free(c->sources[i].name);
		free(c->sources[i].clinician);
		free((char *)s->platform);
		free((char *)s->base_url);
		free((char *)s->auth_url);
		free((char *)s->mode);
		free((char *)s->query);
		free((char *)s->token_file);
		free((char *)s->account);
		free((char *)s->channel);
		free((char *)s->video);
	}
	free(c->clinicians);
	free(c->sources);
	free(c->path);
	free(c->database);
	free(c->signing_key);
	free(c->rules);
	free(c->ca_file);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_user);
	free(c->smtp_password_file);
	free(c->witness_webhook);
	free(c->witness_email);
	free(c->reporter_name);
	free(c->reporter_email);
	free(c);
}
