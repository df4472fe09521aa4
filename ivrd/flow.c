/*
 * flow: call flow files (holdslayer-flows(5)).  A flow is one JSON object
 * per file; loading checks every field and reports the first fault as
 * "FILE: step 'ID': FIELD: what is wrong", so that a user can fix the file
 * without reading code.  Nothing here touches the bus: ivrd.c loads the
 * flows directory through flow_set_load() and call.c runs the steps.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "ivrd.h"
#include "log.h"

#define FLOW_FILE_MAX (4 * 1024 * 1024)
#define FLOW_STEPS_MAX 1000
#define FLOW_DTMF_MAX 64

static const char *const flow_type_names[] = {
    [FLOW_STEP_DTMF] = "DTMF",	 [FLOW_STEP_WAIT] = "WAIT",
    [FLOW_STEP_LISTEN] = "LISTEN", [FLOW_STEP_HOLD] = "HOLD",
    [FLOW_STEP_SPEAK] = "SPEAK",   [FLOW_STEP_TRANSFER] = "TRANSFER",
};
#define FLOW_NTYPES (sizeof(flow_type_names) / sizeof(flow_type_names[0]))

static const char *const flow_top_keys[] = {
    "id",	  "name",	"company", "phone_number",  "description",
    "steps",	  "created_at", "updated_at", "version",      "tags",
    "success_count", "fail_count", NULL};
static const char *const flow_step_keys[] = {
    "id",      "type",	     "description", "dtmf",
    "timeout", "next_step",  "conditions",  "metadata", NULL};

/* Where a fault is: the file, and the step when there is one. */
struct flow_ctx {
	const char *path;
	char step[FLOW_ID_MAX + 16]; /* "step 'menu': " or "step #3: " or "" */
	const char *fieldpre; /* "metadata." inside metadata, else "" */
	char *err;
	size_t errlen;
};

const char *
flow_step_type_name(enum flow_step_type t)
{
	return (size_t)t < FLOW_NTYPES ? flow_type_names[t] : "?";
}

static int
flow_fail(struct flow_ctx *x, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
flow_fail(struct flow_ctx *x, const char *field, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s: %s%s%s%s%s", x->path, x->step,
		 field ? x->fieldpre : "", field ? field : "",
		 field ? ": " : "", msg);
	return -EINVAL;
}

/* "a string", "a number", ... for messages about a value's type. */
static const char *
flow_type_of(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
	case json_type_double:
		return "a number";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "an array";
	case json_type_object:
		return "an object";
	}
	return "?";
}

/* The member key of o, or NULL when absent or null. */
static json_object *
flow_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/*
 * A string member.  *out is set to a copy (NULL when absent and optional).
 * Returns 0, -EINVAL (err written) or -ENOMEM.
 */
static int
flow_str(struct flow_ctx *x, json_object *o, const char *key, int required,
	 char **out)
{
	json_object *v = flow_member(o, key);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return flow_fail(x, key, "missing (a string is required)");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return flow_fail(x, key, "must be a string, not %s",
				 flow_type_of(v));
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -ENOMEM;
}

/* An optional string member defaulting to "". */
static int
flow_str_or_empty(struct flow_ctx *x, json_object *o, const char *key,
		  char **out)
{
	int r = flow_str(x, o, key, 0, out);

	if (r == 0 && *out == NULL)
		*out = strdup("");
	return r < 0 ? r : (*out ? 0 : -ENOMEM);
}

static int
flow_int(struct flow_ctx *x, json_object *o, const char *key, long min,
	 long def, long *out)
{
	json_object *v = flow_member(o, key);
	int64_t n;

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return flow_fail(x, key, "must be an integer, not %s",
				 flow_type_of(v));
	n = json_object_get_int64(v);
	if (n < min)
		return flow_fail(x, key, "%lld is below the minimum %ld",
				 (long long)n, min);
	*out = (long)n;
	return 0;
}

static int
flow_check_keys(struct flow_ctx *x, json_object *o,
		const char *const *known)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		size_t i;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL)
			return flow_fail(x, key,
					 "unknown field (see holdslayer-flows(5))");
	}
	return 0;
}

static int
flow_valid_id(const char *s, int strict)
{
	size_t n = strlen(s);

	if (n == 0 || n >= FLOW_ID_MAX)
		return 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (strict ? !(isalnum(ch) || ch == '-' || ch == '_' ||
			       ch == '.')
			   : (iscntrl(ch) || ch == '\'' || ch == '"'))
			return 0;
	}
	return 1;
}

static void
flow_cond_clear(struct flow_cond *k)
{
	free(k->value);
	for (size_t i = 0; i < k->nwords; i++)
		free(k->words[i]);
	free(k->words);
	if (k->re) {
		regfree(k->re);
		free(k->re);
	}
	free(k->dtmf);
	free(k->then);
	free(k->otherwise);
}

static void
flow_step_clear(struct flow_step *s)
{
	free(s->id);
	free(s->description);
	free(s->dtmf);
	free(s->next_step);
	free(s->text);
	free(s->device);
	free(s->voice);
	for (size_t i = 0; i < s->nconds; i++)
		flow_cond_clear(&s->conds[i]);
	free(s->conds);
	json_object_put(s->conditions);
	json_object_put(s->metadata);
}

static void
flow_free(struct flow *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nsteps; i++)
		flow_step_clear(&f->steps[i]);
	free(f->steps);
	free(f->path);
	free(f->id);
	free(f->name);
	free(f->company);
	free(f->phone_number);
	free(f->description);
	free(f->created_at);
	free(f->updated_at);
	json_object_put(f->tags);
	free(f);
}

struct flow *
flow_ref(struct flow *f)
{
	if (f)
		f->refs++;
	return f;
}

void
flow_unref(struct flow *f)
{
	if (f && --f->refs <= 0)
		flow_free(f);
}

static int
flow_parse_type(struct flow_ctx *x, json_object *st, enum flow_step_type *out)
{
	json_object *v = flow_member(st, "type");
	const char *s;

	if (v == NULL)
		return flow_fail(x, "type",
				 "missing (one of DTMF WAIT LISTEN HOLD SPEAK "
				 "TRANSFER)");
	if (!json_object_is_type(v, json_type_string))
		return flow_fail(x, "type", "must be a string, not %s",
				 flow_type_of(v));
	s = json_object_get_string(v);
	for (size_t i = 0; i < FLOW_NTYPES; i++)
		if (strcasecmp(s, flow_type_names[i]) == 0) {
			*out = (enum flow_step_type)i;
			return 0;
		}
	return flow_fail(x, "type",
			 "'%.64s' is not a step type (DTMF WAIT LISTEN HOLD "
			 "SPEAK TRANSFER)",
			 s);
}

/* ---- placeholders ---- */

/*
 * Finds the placeholder starting at p ('{'): sets *name and *namelen to what is
 * between the braces and returns its total length, or 0 when there is no
 * closing brace.
 */
static size_t
flow_ph_span(const char *p, const char **name, size_t *namelen)
{
	const char *e = strchr(p + 1, '}');
	const char *o = strchr(p + 1, '{');

	if (e == NULL || (o != NULL && o < e))
		return 0;
	*name = p + 1;
	*namelen = (size_t)(e - p - 1);
	return (size_t)(e - p + 1);
}

/* 1 for info.KEY, 2 for intent, 3 for match.N, 0 otherwise. */
static int
flow_ph_kind(const char *name, size_t n)
{
	if (n > 5 && strncmp(name, "info.", 5) == 0) {
		for (size_t i = 5; i < n; i++)
			if (!isalnum((unsigned char)name[i]) &&
			    !strchr("_-.", name[i]))
				return 0;
		return n - 5 < 64 ? 1 : 0;
	}
	if (n == 6 && strncmp(name, "intent", 6) == 0)
		return 2;
	if (n == 7 && strncmp(name, "match.", 6) == 0 &&
	    isdigit((unsigned char)name[6]))
		return 3;
	return 0;
}

int
flow_has_placeholder(const char *s)
{
	const char *name;
	size_t n;

	for (; s && *s; s++)
		if (*s == '{' && flow_ph_span(s, &name, &n) &&
		    flow_ph_kind(name, n))
			return 1;
	return 0;
}

/*
 * Checks the placeholders of text: each '{...}' must be {info.KEY},
 * {intent} or (with allow_match) {match.N}.
 */
static int
flow_check_tmpl(struct flow_ctx *x, const char *field, const char *text,
		int allow_match)
{
	const char *name;
	size_t n, len;
	int kind;

	for (const char *p = text; *p; p++) {
		if (*p == '}')
			return flow_fail(x, field,
					 "a '}' without its '{' in '%.64s'",
					 text);
		if (*p != '{')
			continue;
		if ((len = flow_ph_span(p, &name, &n)) == 0)
			return flow_fail(x, field,
					 "a '{' without its '}' in '%.64s'",
					 text);
		kind = flow_ph_kind(name, n);
		if (kind == 0 || (kind == 3 && !allow_match))
			return flow_fail(x, field,
					 "'{%.*s}' is not a placeholder (use "
					 "{info.KEY}, {intent}%s)",
					 (int)(n > 48 ? 48 : n), name,
					 allow_match ? " or {match.N}" : "");
		p += len - 1;
	}
	return 0;
}

/*
 * Checks DTMF digits that may hold placeholders; uppercases the digits
 * outside them.  {intent} is refused: it is words, not digits.
 */
static int
flow_check_dtmf(struct flow_ctx *x, const char *field, char *dtmf,
		int allow_match)
{
	const char *name;
	size_t n, len, digits = 0;
	int r;

	if ((r = flow_check_tmpl(x, field, dtmf, allow_match)) < 0)
		return r;
	for (char *p = dtmf; *p; p++) {
		if (*p == '{') {
			len = flow_ph_span(p, &name, &n);
			if (flow_ph_kind(name, n) == 2)
				return flow_fail(x, field,
						 "{intent} is words, not "
						 "digits");
			p += len - 1;
			continue;
		}
		if (!strchr("0123456789*#ABCDabcd", *p))
			return flow_fail(x, field,
					 "'%s' has a character that is not a "
					 "DTMF digit",
					 dtmf);
		*p = (char)toupper((unsigned char)*p);
		digits++;
	}
	if (digits > FLOW_DTMF_MAX)
		return flow_fail(x, field, "longer than %d digits",
				 FLOW_DTMF_MAX);
	return 0;
}

/* The text of one placeholder's value into v (vlen); -ENOENT if unset. */
static int
flow_ph_value(const char *name, size_t n, json_object *info,
	      const char *intent, const struct flow_match *m, char *v,
	      size_t vlen)
{
	json_object *o;
	char key[64];

	switch (flow_ph_kind(name, n)) {
	case 1:
		snprintf(key, sizeof(key), "%.*s", (int)(n - 5), name + 5);
		if (info == NULL || !json_object_object_get_ex(info, key, &o) ||
		    json_object_is_type(o, json_type_null) ||
		    json_object_is_type(o, json_type_object) ||
		    json_object_is_type(o, json_type_array))
			return -ENOENT;
		if (json_object_is_type(o, json_type_int))
			snprintf(v, vlen, "%lld",
				 (long long)json_object_get_int64(o));
		else
			snprintf(v, vlen, "%s", json_object_get_string(o));
		return v[0] ? 0 : -ENOENT;
	case 2:
		if (intent == NULL || intent[0] == '\0')
			return -ENOENT;
		snprintf(v, vlen, "%s", intent);
		return 0;
	case 3:
		if (m == NULL || m->group[name[6] - '0'][0] == '\0')
			return -ENOENT;
		snprintf(v, vlen, "%s", m->group[name[6] - '0']);
		return 0;
	}
	return -EINVAL;
}

int
flow_expand(const char *tmpl, json_object *info, const char *intent,
	    const struct flow_match *m, char *out, size_t outlen,
	    char *missing, size_t mlen)
{
	size_t o = 0, n, len;
	const char *name;
	char v[512];
	int r;

	if (outlen == 0)
		return -ENOSPC;
	out[0] = '\0';
	if (missing && mlen)
		missing[0] = '\0';
	for (const char *p = tmpl; *p; p++) {
		const char *add = p;
		size_t addlen = 1;
		if (*p == '{') {
			if ((len = flow_ph_span(p, &name, &n)) == 0 ||
			    flow_ph_kind(name, n) == 0)
				return -EINVAL;
			r = flow_ph_value(name, n, info, intent, m, v,
					  sizeof(v));
			if (r < 0) {
				if (missing && mlen)
					snprintf(missing, mlen, "%.*s", (int)n,
						 name);
				return r;
			}
			add = v;
			addlen = strlen(v);
			p += len - 1;
		}
		if (o + addlen >= outlen)
			return -ENOSPC;
		memcpy(out + o, add, addlen);
		o += addlen;
		out[o] = '\0';
	}
	return 0;
}

int
flow_dtmf_expand(const char *tmpl, json_object *info,
		 const struct flow_match *m, char *out, size_t outlen,
		 char *err, size_t errlen)
{
	size_t o = 0, n, len;
	const char *name;
	char v[512];
	int r;

	if (outlen == 0)
		return -ENOSPC;
	out[0] = '\0';
	for (const char *p = tmpl; *p; p++) {
		if (*p != '{') {
			if (!strchr("0123456789*#ABCDabcd", *p)) {
				snprintf(err, errlen,
					 "'%c' is not a DTMF digit", *p);
				return -EINVAL;
			}
			if (o + 1 >= outlen)
				goto full;
			out[o++] = (char)toupper((unsigned char)*p);
			out[o] = '\0';
			continue;
		}
		if ((len = flow_ph_span(p, &name, &n)) == 0 ||
		    flow_ph_kind(name, n) == 0 || flow_ph_kind(name, n) == 2) {
			snprintf(err, errlen, "malformed placeholder in '%.64s'",
				 tmpl);
			return -EINVAL;
		}
		r = flow_ph_value(name, n, info, NULL, m, v, sizeof(v));
		if (r < 0) {
			snprintf(err, errlen, "%.*s", (int)n, name);
			return r;
		}
		for (const char *q = v; *q; q++) {
			if (strchr(" -./()", *q))
				continue;
			/* A-D are not on a phone's keypad: a value with
			 * letters is not a number to key in. */
			if (!strchr("0123456789*#", *q)) {
				snprintf(err, errlen,
					 "%.*s: '%.64s' is not DTMF digits",
					 (int)n, name, v);
				return -EINVAL;
			}
			if (o + 1 >= outlen)
				goto full;
			out[o++] = (char)toupper((unsigned char)*q);
			out[o] = '\0';
		}
		p += len - 1;
	}
	if (o == 0) {
		snprintf(err, errlen, "no digits in '%.64s'", tmpl);
		return -EINVAL;
	}
	return 0;
full:
	snprintf(err, errlen, "more than %zu digits", outlen - 1);
	return -ENOSPC;
}

/* ---- conditions ---- */

/* Lowercase words of s separated by single spaces (punctuation dropped). */
static char *
flow_norm(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '\'' || ch >= 0x80) {
			if (ch == '\'')
				continue; /* "what's" == "whats" */
			out[o++] = (char)tolower(ch);
		} else if (o > 0 && out[o - 1] != ' ') {
			out[o++] = ' ';
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

static const char *const flow_cond_keys[] = {"if", "then", "else", "retries",
					     "dtmf", NULL};
static const char *const flow_if_keys[] = {"transcript", "regex", "audio",
					   "timeout", NULL};

/* "then"/"else": a step id or next, repeat, explore, fail. */
static int
flow_resolve_goto(struct flow_ctx *x, const struct flow *f, const char *field,
		  const char *name, int *to)
{
	static const struct {
		const char *name;
		int to;
	} kw[] = {{"next", FLOW_GOTO_NEXT},
		  {"repeat", FLOW_GOTO_REPEAT},
		  {"explore", FLOW_GOTO_EXPLORE},
		  {"fail", FLOW_GOTO_FAIL}};

	for (size_t j = 0; j < f->nsteps; j++)
		if (strcmp(f->steps[j].id, name) == 0) {
			*to = (int)j;
			return 0;
		}
	for (size_t j = 0; j < sizeof(kw) / sizeof(kw[0]); j++)
		if (strcmp(kw[j].name, name) == 0) {
			*to = kw[j].to;
			return 0;
		}
	return flow_fail(x, field,
			 "'%.64s' is not a step of this flow, nor next, "
			 "repeat, explore or fail",
			 name);
}

const char *
flow_goto_name(const struct flow *f, int to)
{
	switch (to) {
	case FLOW_GOTO_NEXT:
		return "next";
	case FLOW_GOTO_REPEAT:
		return "repeat";
	case FLOW_GOTO_EXPLORE:
		return "explore";
	case FLOW_GOTO_FAIL:
		return "fail";
	}
	return f && to >= 0 && (size_t)to < f->nsteps ? f->steps[to].id : "?";
}

static int
flow_parse_cond(struct flow_ctx *x, json_object *o, size_t idx,
		const struct flow_step *s, struct flow_cond *k)
{
	char field[48];
	json_object *cif, *v;
	const char *kind = NULL;
	int nkinds = 0, r;
	char errbuf[128];

	(void)s;
	k->retries = -1;
	k->else_to = FLOW_GOTO_EXPLORE;
	snprintf(field, sizeof(field), "conditions[%zu]", idx);
	if (!json_object_is_type(o, json_type_object))
		return flow_fail(x, field, "must be an object, not %s",
				 flow_type_of(o));
	json_object_object_foreach(o, key, val) {
		(void)val;
		size_t i;
		for (i = 0; flow_cond_keys[i] && strcmp(flow_cond_keys[i], key);
		     i++)
			;
		if (flow_cond_keys[i] == NULL) {
			snprintf(field, sizeof(field), "conditions[%zu].%.16s",
				 idx, key);
			return flow_fail(x, field,
					 "unknown field (if, then, else, "
					 "retries, dtmf)");
		}
	}
	snprintf(field, sizeof(field), "conditions[%zu].if", idx);
	cif = flow_member(o, "if");
	if (cif == NULL)
		return flow_fail(x, field,
				 "missing (an object: transcript, regex, audio "
				 "or timeout)");
	if (!json_object_is_type(cif, json_type_object))
		return flow_fail(x, field, "must be an object, not %s",
				 flow_type_of(cif));
	json_object_object_foreach(cif, ikey, ival) {
		size_t i;
		for (i = 0; flow_if_keys[i] && strcmp(flow_if_keys[i], ikey);
		     i++)
			;
		snprintf(field, sizeof(field), "conditions[%zu].if.%.16s",
			 idx, ikey);
		if (flow_if_keys[i] == NULL)
			return flow_fail(x, field,
					 "unknown test (transcript, regex, "
					 "audio or timeout)");
		kind = flow_if_keys[i];
		nkinds++;
		if (i == 3) {
			if (!json_object_is_type(ival, json_type_boolean) ||
			    !json_object_get_boolean(ival))
				return flow_fail(x, field, "must be true");
			k->kind = FLOW_COND_TIMEOUT;
			continue;
		}
		if (!json_object_is_type(ival, json_type_string) ||
		    json_object_get_string_len(ival) == 0)
			return flow_fail(x, field,
					 "must be a non-empty string, not %s",
					 flow_type_of(ival));
		k->value = strdup(json_object_get_string(ival));
		if (k->value == NULL)
			return -ENOMEM;
		k->kind = i == 0 ? FLOW_COND_TRANSCRIPT
			  : i == 1 ? FLOW_COND_REGEX
				   : FLOW_COND_AUDIO;
	}
	snprintf(field, sizeof(field), "conditions[%zu].if", idx);
	if (nkinds != 1)
		return flow_fail(x, field,
				 "needs exactly one test (transcript, regex, "
				 "audio or timeout), not %d",
				 nkinds);
	snprintf(field, sizeof(field), "conditions[%zu].if.%s", idx, kind);
	if (k->kind == FLOW_COND_TRANSCRIPT) {
		/* Alternatives separated by '|'; each a word or phrase. */
		const char *p = k->value;
		while (1) {
			size_t l = strcspn(p, "|");
			char *alt = strndup(p, l), *w;
			if (alt == NULL)
				return -ENOMEM;
			w = flow_norm(alt);
			free(alt);
			if (w == NULL)
				return -ENOMEM;
			if (w[0] == '\0') {
				free(w);
				return flow_fail(x, field,
						 "'%.64s' has an empty "
						 "alternative (words separated "
						 "by '|')",
						 k->value);
			}
			char **nw = realloc(k->words,
					    (k->nwords + 1) * sizeof(*nw));
			if (nw == NULL) {
				free(w);
				return -ENOMEM;
			}
			k->words = nw;
			k->words[k->nwords++] = w;
			if (p[l] == '\0')
				break;
			p += l + 1;
		}
	} else if (k->kind == FLOW_COND_REGEX) {
		k->re = calloc(1, sizeof(*k->re));
		if (k->re == NULL)
			return -ENOMEM;
		r = regcomp(k->re, k->value, REG_EXTENDED | REG_ICASE);
		if (r != 0) {
			regerror(r, k->re, errbuf, sizeof(errbuf));
			free(k->re);
			k->re = NULL;
			return flow_fail(x, field,
					 "'%.64s' is not a valid extended "
					 "regular expression: %s",
					 k->value, errbuf);
		}
	} else if (k->kind == FLOW_COND_AUDIO) {
		static const char *const classes[] = {
		    "silence", "music", "speech", "ringback", "busy",
		    "dtmf",    "tone",  "noise",  NULL};
		size_t i;
		for (i = 0; classes[i] && strcmp(classes[i], k->value); i++)
			;
		if (classes[i] == NULL)
			return flow_fail(x, field,
					 "'%.32s' is not an audio class "
					 "(silence, music, speech, ringback, "
					 "busy, dtmf, tone, noise)",
					 k->value);
	}
	snprintf(field, sizeof(field), "conditions[%zu].then", idx);
	v = flow_member(o, "then");
	if (v == NULL)
		return flow_fail(x, field,
				 "missing (a step id, or next, repeat, "
				 "explore, fail)");
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return flow_fail(x, field, "must be a non-empty string, not %s",
				 flow_type_of(v));
	if ((k->then = strdup(json_object_get_string(v))) == NULL)
		return -ENOMEM;
	snprintf(field, sizeof(field), "conditions[%zu].else", idx);
	v = flow_member(o, "else");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0)
			return flow_fail(x, field,
					 "must be a non-empty string, not %s",
					 flow_type_of(v));
		if ((k->otherwise = strdup(json_object_get_string(v))) == NULL)
			return -ENOMEM;
	}
	snprintf(field, sizeof(field), "conditions[%zu].retries", idx);
	v = flow_member(o, "retries");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_int))
			return flow_fail(x, field,
					 "must be an integer, not %s",
					 flow_type_of(v));
		if (json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 100)
			return flow_fail(x, field, "%lld is not in 0..100",
					 (long long)json_object_get_int64(v));
		k->retries = (int)json_object_get_int64(v);
	} else if (strcmp(k->then, "repeat") == 0) {
		k->retries = 2;
	}
	if (k->otherwise != NULL && k->retries < 0)
		return flow_fail(x, field,
				 "missing: an else applies once the retries "
				 "are used up");
	snprintf(field, sizeof(field), "conditions[%zu].dtmf", idx);
	v = flow_member(o, "dtmf");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0)
			return flow_fail(x, field,
					 "must be a non-empty string, not %s",
					 flow_type_of(v));
		if ((k->dtmf = strdup(json_object_get_string(v))) == NULL)
			return -ENOMEM;
		if ((r = flow_check_dtmf(x, field, k->dtmf,
					 k->kind == FLOW_COND_REGEX)) < 0)
			return r;
	}
	return 0;
}

/* conditions: an array of condition objects (or one object). */
static int
flow_parse_conds(struct flow_ctx *x, json_object *v, struct flow_step *s)
{
	size_t n;
	int r;

	if (s->type == FLOW_STEP_DTMF || s->type == FLOW_STEP_SPEAK ||
	    s->type == FLOW_STEP_TRANSFER)
		return flow_fail(x, "conditions",
				 "a %s step does not wait, so it has no "
				 "conditions (put them on a LISTEN, WAIT or "
				 "HOLD step)",
				 flow_step_type_name(s->type));
	if (json_object_is_type(v, json_type_object)) {
		s->conds = calloc(1, sizeof(*s->conds));
		if (s->conds == NULL)
			return -ENOMEM;
		s->nconds = 1;
		return flow_parse_cond(x, v, 0, s, &s->conds[0]);
	}
	if (!json_object_is_type(v, json_type_array))
		return flow_fail(x, "conditions",
				 "must be an array of conditions, not %s",
				 flow_type_of(v));
	n = json_object_array_length(v);
	if (n > FLOW_CONDS_MAX)
		return flow_fail(x, "conditions", "more than %d conditions",
				 FLOW_CONDS_MAX);
	if (n == 0)
		return 0;
	s->conds = calloc(n, sizeof(*s->conds));
	if (s->conds == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		s->nconds = i + 1;
		if ((r = flow_parse_cond(x, json_object_array_get_idx(v, i), i,
					 s, &s->conds[i])) < 0)
			return r;
	}
	return 0;
}

int
flow_cond_match(const struct flow_cond *k, enum flow_cond_kind kind,
		const char *arg, struct flow_match *m)
{
	regmatch_t g[FLOW_MATCH_GROUPS];
	char *text;
	int hit = 0;

	if (m)
		memset(m, 0, sizeof(*m));
	switch (k->kind) {
	case FLOW_COND_TIMEOUT:
		return kind == FLOW_COND_TIMEOUT;
	case FLOW_COND_AUDIO:
		return kind == FLOW_COND_AUDIO && arg &&
		       strcmp(arg, k->value) == 0;
	case FLOW_COND_TRANSCRIPT:
		if (kind != FLOW_COND_TRANSCRIPT || arg == NULL)
			return 0;
		if ((text = flow_norm(arg)) == NULL)
			return 0;
		for (size_t i = 0; i < k->nwords && !hit; i++) {
			size_t wl = strlen(k->words[i]);
			for (const char *p = text; (p = strstr(p, k->words[i]));
			     p++)
				if ((p == text || p[-1] == ' ') &&
				    (p[wl] == '\0' || p[wl] == ' ')) {
					hit = 1;
					break;
				}
		}
		free(text);
		return hit;
	case FLOW_COND_REGEX:
		if (kind != FLOW_COND_TRANSCRIPT || arg == NULL ||
		    regexec(k->re, arg, FLOW_MATCH_GROUPS, g, 0) != 0)
			return 0;
		for (int i = 0; m && i < FLOW_MATCH_GROUPS; i++) {
			size_t l;
			if (g[i].rm_so < 0)
				continue;
			l = (size_t)(g[i].rm_eo - g[i].rm_so);
			if (l >= FLOW_MATCH_MAX)
				l = FLOW_MATCH_MAX - 1;
			memcpy(m->group[i], arg + g[i].rm_so, l);
			m->group[i][l] = '\0';
		}
		return 1;
	}
	return 0;
}

int
flow_conds_first(const struct flow_step *s, enum flow_cond_kind kind,
		 const char *arg, struct flow_match *m)
{
	for (size_t i = 0; i < s->nconds; i++)
		if (flow_cond_match(&s->conds[i], kind, arg, m))
			return (int)i;
	return -1;
}

int
flow_cond_target(const struct flow_cond *k, int fired, int *exhausted)
{
	*exhausted = k->retries >= 0 && fired >= k->retries;
	return *exhausted ? k->else_to : k->then_to;
}

int
flow_step_unmatched(const struct flow_step *s)
{
	for (size_t i = 0; i < s->nconds; i++)
		if (s->conds[i].kind == FLOW_COND_TRANSCRIPT ||
		    s->conds[i].kind == FLOW_COND_REGEX)
			return FLOW_GOTO_EXPLORE;
	return FLOW_GOTO_NEXT;
}

static int
flow_parse_step(struct flow_ctx *x, json_object *st, struct flow_step *s)
{
	json_object *v, *meta;
	int r;

	s->next = -1;
	if ((r = flow_check_keys(x, st, flow_step_keys)) < 0)
		return r;
	if ((r = flow_parse_type(x, st, &s->type)) < 0)
		return r;
	if ((r = flow_str_or_empty(x, st, "description", &s->description)) < 0)
		return r;

	/* dtmf: the digits of a DTMF step; empty or null elsewhere. */
	if ((r = flow_str(x, st, "dtmf", 0, &s->dtmf)) < 0)
		return r;
	if (s->type == FLOW_STEP_DTMF) {
		if (s->dtmf == NULL || s->dtmf[0] == '\0')
			return flow_fail(x, "dtmf",
					 "missing (a DTMF step needs the digits "
					 "to send)");
		if ((r = flow_check_dtmf(x, "dtmf", s->dtmf, 0)) < 0)
			return r;
		s->dtmf_tmpl = flow_has_placeholder(s->dtmf);
	} else if (s->dtmf != NULL) {
		if (s->dtmf[0] != '\0')
			return flow_fail(x, "dtmf",
					 "only a DTMF step sends digits; this "
					 "is a %s step",
					 flow_step_type_name(s->type));
		free(s->dtmf);
		s->dtmf = NULL;
	}

	v = flow_member(st, "timeout");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return flow_fail(x, "timeout",
					 "must be a number of seconds, not %s",
					 flow_type_of(v));
		s->timeout = json_object_get_double(v);
		if (!isfinite(s->timeout) || s->timeout <= 0)
			return flow_fail(x, "timeout",
					 "%g is not a positive number of seconds",
					 s->timeout);
		if (s->timeout > FLOW_TIMEOUT_MAX_S)
			return flow_fail(x, "timeout",
					 "%g s is longer than the limit of %.0f s",
					 s->timeout, FLOW_TIMEOUT_MAX_S);
	} else if (s->type == FLOW_STEP_WAIT) {
		return flow_fail(x, "timeout",
				 "missing (a WAIT step needs the seconds to "
				 "wait)");
	}

	if ((r = flow_str(x, st, "next_step", 0, &s->next_step)) < 0)
		return r;
	if (s->next_step != NULL && s->next_step[0] == '\0') {
		free(s->next_step);
		s->next_step = NULL;
	}

	v = flow_member(st, "conditions");
	if (v != NULL) {
		if ((r = flow_parse_conds(x, v, s)) < 0)
			return r;
		s->conditions = json_object_get(v);
	}

	meta = flow_member(st, "metadata");
	if (meta != NULL && !json_object_is_type(meta, json_type_object))
		return flow_fail(x, "metadata", "must be an object, not %s",
				 flow_type_of(meta));
	if (meta != NULL) {
		s->metadata = json_object_get(meta);
		x->fieldpre = "metadata.";
		r = flow_str(x, meta, "text", 0, &s->text);
		if (r == 0)
			r = flow_str(x, meta, "device", 0, &s->device);
		if (r == 0)
			r = flow_str(x, meta, "voice", 0, &s->voice);
		if (r == 0 && s->text != NULL)
			r = flow_check_tmpl(x, "text", s->text, 0);
		if (r == 0 && s->voice != NULL &&
		    (s->voice[0] == '\0' || strlen(s->voice) > 63 ||
		     strspn(s->voice, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
				      "KLMNOPQRSTUVWXYZ0123456789-_+") !=
			 strlen(s->voice)))
			r = flow_fail(x, "voice",
				      "'%.64s' is not an espeak-ng voice name "
				      "(such as en-us or en-us+f3)",
				      s->voice);
		x->fieldpre = "";
		if (r < 0)
			return r;
	}
	if (s->type == FLOW_STEP_SPEAK) {
		if (s->text == NULL || s->text[0] == '\0') {
			free(s->text);
			s->text = NULL;
			if (s->description[0] == '\0')
				return flow_fail(x, "metadata.text",
						 "missing (a SPEAK step needs "
						 "text: metadata.text or "
						 "description)");
			if ((r = flow_check_tmpl(x, "description",
						 s->description, 0)) < 0)
				return r;
			s->text = strdup(s->description);
			if (s->text == NULL)
				return -ENOMEM;
		}
	}
	if (s->device != NULL) {
		if (s->type != FLOW_STEP_TRANSFER)
			return flow_fail(x, "metadata.device",
					 "only a TRANSFER step names a device; "
					 "this is a %s step",
					 flow_step_type_name(s->type));
		if (s->device[0] == '\0')
			return flow_fail(x, "metadata.device",
					 "empty (name a device of "
					 "[devices], or leave it out)");
	}
	return 0;
}

static void
flow_ctx_step(struct flow_ctx *x, const char *id, size_t idx)
{
	if (id != NULL)
		snprintf(x->step, sizeof(x->step), "step '%s': ", id);
	else
		snprintf(x->step, sizeof(x->step), "step #%zu: ", idx + 1);
}

static int
flow_parse_steps(struct flow_ctx *x, json_object *arr, struct flow *f)
{
	size_t n;
	int r;

	if (arr == NULL)
		return flow_fail(x, "steps", "missing (an array of steps is "
					     "required)");
	if (!json_object_is_type(arr, json_type_array))
		return flow_fail(x, "steps", "must be an array, not %s",
				 flow_type_of(arr));
	n = json_object_array_length(arr);
	if (n == 0)
		return flow_fail(x, "steps", "empty (a flow needs a step)");
	if (n > FLOW_STEPS_MAX)
		return flow_fail(x, "steps", "more than %d steps",
				 FLOW_STEPS_MAX);
	f->steps = calloc(n, sizeof(*f->steps));
	if (f->steps == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *st = json_object_array_get_idx(arr, i);
		struct flow_step *s = &f->steps[i];
		f->nsteps = i + 1;
		s->next = -1;
		flow_ctx_step(x, NULL, i);
		if (!json_object_is_type(st, json_type_object))
			return flow_fail(x, NULL, "must be an object, not %s",
					 flow_type_of(st));
		if ((r = flow_str(x, st, "id", 1, &s->id)) < 0)
			return r;
		if (!flow_valid_id(s->id, 0))
			return flow_fail(x, "id",
					 "'%.64s' is not a usable step id "
					 "(1 to %d characters, no quotes or "
					 "control characters)",
					 s->id, FLOW_ID_MAX - 1);
		flow_ctx_step(x, s->id, i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(f->steps[j].id, s->id) == 0)
				return flow_fail(x, "id",
						 "duplicate: steps #%zu and #%zu "
						 "have the same id",
						 j + 1, i + 1);
		if ((r = flow_parse_step(x, st, s)) < 0)
			return r;
	}
	/* next_step references, once every id is known. */
	for (size_t i = 0; i < n; i++) {
		struct flow_step *s = &f->steps[i];
		if (s->next_step == NULL)
			continue;
		for (size_t j = 0; j < n; j++)
			if (strcmp(f->steps[j].id, s->next_step) == 0)
				s->next = (int)j;
		if (s->next < 0) {
			flow_ctx_step(x, s->id, i);
			return flow_fail(x, "next_step",
					 "'%.64s' is not a step of this flow",
					 s->next_step);
		}
	}
	/* Condition targets, likewise. */
	for (size_t i = 0; i < n; i++) {
		struct flow_step *s = &f->steps[i];
		for (size_t k = 0; k < s->nconds; k++) {
			struct flow_cond *c = &s->conds[k];
			char field[48];
			flow_ctx_step(x, s->id, i);
			c->slot = (int)f->nconds++;
			snprintf(field, sizeof(field), "conditions[%zu].then",
				 k);
			if ((r = flow_resolve_goto(x, f, field, c->then,
						   &c->then_to)) < 0)
				return r;
			snprintf(field, sizeof(field), "conditions[%zu].else",
				 k);
			if (c->otherwise != NULL &&
			    (r = flow_resolve_goto(x, f, field, c->otherwise,
						   &c->else_to)) < 0)
				return r;
		}
	}
	x->step[0] = '\0';
	return 0;
}

static int
flow_parse_top(struct flow_ctx *x, json_object *root, struct flow *f)
{
	json_object *v;
	int r, digits = 0;

	if ((r = flow_check_keys(x, root, flow_top_keys)) < 0)
		return r;
	if ((r = flow_str(x, root, "id", 1, &f->id)) < 0)
		return r;
	if (!flow_valid_id(f->id, 1))
		return flow_fail(x, "id",
				 "'%.64s' is not a usable flow id (1 to %d "
				 "letters, digits, '-', '_' or '.')",
				 f->id, FLOW_ID_MAX - 1);
	if ((r = flow_str(x, root, "name", 1, &f->name)) < 0)
		return r;
	if (f->name[0] == '\0')
		return flow_fail(x, "name", "empty");
	if ((r = flow_str_or_empty(x, root, "company", &f->company)) < 0)
		return r;
	if ((r = flow_str(x, root, "phone_number", 1, &f->phone_number)) < 0)
		return r;
	/* A company reached by a sip: URI: learned flows keep it. */
	if (flow_is_uri(f->phone_number)) {
		const char *p = strchr(f->phone_number, ':') + 1;
		if (*p == '\0' || strlen(f->phone_number) > FLOW_URI_MAX)
			return flow_fail(x, "phone_number",
					 "'%.64s' is not a usable sip: URI",
					 f->phone_number);
		for (; *p; p++)
			if (isspace((unsigned char)*p) ||
			    iscntrl((unsigned char)*p))
				return flow_fail(x, "phone_number",
						 "'%.64s' is not a usable sip: "
						 "URI",
						 f->phone_number);
		digits = 1;
	}
	for (const char *p = f->phone_number; *p && !digits; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (!strchr("+-(). ", *p))
			return flow_fail(x, "phone_number",
					 "'%.64s' has a character that is not "
					 "part of a phone number",
					 f->phone_number);
	}
	if (digits == 0)
		return flow_fail(x, "phone_number", "'%.64s' has no digits",
				 f->phone_number);
	if ((r = flow_str_or_empty(x, root, "description", &f->description)) <
	    0)
		return r;
	if ((r = flow_str(x, root, "created_at", 0, &f->created_at)) < 0 ||
	    (r = flow_str(x, root, "updated_at", 0, &f->updated_at)) < 0)
		return r;
	if ((r = flow_int(x, root, "version", 1, 1, &f->version)) < 0 ||
	    (r = flow_int(x, root, "success_count", 0, 0, &f->success_count)) <
		0 ||
	    (r = flow_int(x, root, "fail_count", 0, 0, &f->fail_count)) < 0)
		return r;
	v = flow_member(root, "tags");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_array))
			return flow_fail(x, "tags",
					 "must be an array of strings, not %s",
					 flow_type_of(v));
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *t = json_object_array_get_idx(v, i);
			if (!json_object_is_type(t, json_type_string))
				return flow_fail(x, "tags",
						 "item %zu must be a string, not "
						 "%s",
						 i + 1, flow_type_of(t));
		}
		f->tags = json_object_get(v);
	}
	return flow_parse_steps(x, flow_member(root, "steps"), f);
}

/* Line and column (1-based) of byte offset off in text. */
static void
flow_line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int
flow_parse(struct flow **out, const char *path, const char *text, size_t len,
	   char *err, size_t errlen)
{
	struct flow_ctx x = {
	    .path = path, .fieldpre = "", .err = err, .errlen = errlen};
	json_tokener *tok = NULL;
	json_object *root = NULL;
	struct flow *f = NULL;
	enum json_tokener_error jerr;
	size_t end;
	int r = -EINVAL, line, col;

	*out = NULL;
	if (len > FLOW_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			 FLOW_FILE_MAX);
		goto out;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: not a text file (a NUL byte)", path);
		goto out;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		r = -ENOMEM;
		goto out;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue || (root == NULL &&
					      jerr == json_tokener_success)) {
		flow_line_col(text, len, &line, &col);
		snprintf(err, errlen,
			 "%s:%d:%d: JSON syntax error: unexpected end of file",
			 path, line, col);
		goto out;
	}
	if (jerr != json_tokener_success) {
		flow_line_col(text, end < len ? end : len, &line, &col);
		snprintf(err, errlen, "%s:%d:%d: JSON syntax error: %s", path,
			 line, col, json_tokener_error_desc(jerr));
		goto out;
	}
	for (size_t i = end; i < len; i++)
		if (!isspace((unsigned char)text[i])) {
			flow_line_col(text, i, &line, &col);
			snprintf(err, errlen,
				 "%s:%d:%d: JSON syntax error: text after the "
				 "end of the flow object",
				 path, line, col);
			goto out;
		}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen,
			 "%s: a flow must be a JSON object, not %s", path,
			 flow_type_of(root));
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->path = strdup(path)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	f->refs = 1;
	r = flow_parse_top(&x, root, f);
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (r == 0) {
		*out = f;
		f = NULL;
	}
out:
	flow_free(f);
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return r;
}

int
flow_load_file(struct flow **out, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL;
	size_t n = 0;
	struct stat st;
	int r;

	*out = NULL;
	fp = fopen(path, "r");
	if (fp == NULL) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		r = -EINVAL;
		goto out;
	}
	if (st.st_size > FLOW_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			 FLOW_FILE_MAX);
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		r = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, (size_t)st.st_size, fp);
	if (ferror(fp)) {
		r = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	buf[n] = '\0';
	r = flow_parse(out, path, buf, n, err, errlen);
out:
	free(buf);
	fclose(fp);
	return r;
}

static int
flow_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
flow_set_free(struct flow_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		flow_unref(s->flows[i]);
	free(s->flows);
	free(s);
}

int
flow_set_load(struct flow_set **out, const char *dir, int *nerrors, char *err,
	      size_t errlen)
{
	struct flow_set *s = NULL;
	DIR *dp;
	struct dirent *de;
	char **names = NULL;
	size_t nnames = 0, cap = 0;
	int r = 0, bad = 0;

	*out = NULL;
	if (nerrors)
		*nerrors = 0;
	dp = opendir(dir);
	if (dp == NULL) {
		r = -errno;
		snprintf(err, errlen, "flows: %s: %s", dir, strerror(errno));
		return r;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (nnames == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 16) *
						       sizeof(*names));
			if (nn == NULL) {
				r = -ENOMEM;
				goto out;
			}
			names = nn;
			cap = cap ? cap * 2 : 16;
		}
		if ((names[nnames] = strdup(de->d_name)) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		nnames++;
	}
	qsort(names, nnames, sizeof(*names), flow_name_cmp);
	s = calloc(1, sizeof(*s));
	if (s == NULL || (nnames &&
			  !(s->flows = calloc(nnames, sizeof(*s->flows))))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nnames; i++) {
		char path[4096], e[768];
		struct flow *f, *dup;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (flow_load_file(&f, path, e, sizeof(e)) < 0) {
			log_warnx("flows: %s; skipped", e);
			bad++;
			continue;
		}
		if ((dup = flow_set_find(s, f->id)) != NULL) {
			log_warnx("flows: %s: id: '%s' is already the id of %s; "
				  "skipped",
				  path, f->id, dup->path);
			flow_unref(f);
			bad++;
			continue;
		}
		s->flows[s->n++] = f;
	}
	*out = s;
	s = NULL;
	if (nerrors)
		*nerrors = bad;
out:
	if (r == -ENOMEM)
		snprintf(err, errlen, "flows: %s: out of memory", dir);
	closedir(dp);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	flow_set_free(s);
	return r;
}

struct flow *
flow_set_find(const struct flow_set *s, const char *id)
{
	if (s == NULL || id == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->flows[i]->id, id) == 0)
			return s->flows[i];
	return NULL;
}

void
flow_digits(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen == 0)
		return;
	for (; s && *s && n + 1 < outlen; s++)
		if (isdigit((unsigned char)*s))
			out[n++] = *s;
	out[n] = '\0';
}

int
flow_is_uri(const char *s)
{
	return s && (strncasecmp(s, "sip:", 4) == 0 ||
		     strncasecmp(s, "sips:", 5) == 0);
}

int
flow_number_name(const char *number, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char part[FLOW_NAME_PART + 1];
	const char *p;
	size_t n = 0;

	if (outlen == 0)
		return -EINVAL;
	out[0] = '\0';
	if (number == NULL)
		return -EINVAL;
	if (!flow_is_uri(number)) {
		flow_digits(number, out, outlen);
		return out[0] ? 0 : -EINVAL;
	}
	p = strchr(number, ':') + 1;
	if (*p == '\0' || strlen(number) > FLOW_URI_MAX)
		return -EINVAL;
	/* The readable part: user@host:port, without parameters. */
	for (; *p && *p != ';' && *p != '?' && n < FLOW_NAME_PART; p++) {
		unsigned char ch = (unsigned char)*p;
		part[n++] = isalnum(ch) || ch == '.' || ch == '-' ? (char)ch
								 : '_';
	}
	part[n] = '\0';
	/* The whole URI's hash: two URIs with one readable part differ. */
	if (EVP_Digest(number, strlen(number), md, &mdlen, EVP_sha256(),
		       NULL) != 1 ||
	    mdlen < 4)
		return -EIO;
	snprintf(out, outlen, "%s-%s-%02x%02x%02x%02x",
		 strncasecmp(number, "sips:", 5) == 0 ? "sips" : "sip", part,
		 md[0], md[1], md[2], md[3]);
	return 0;
}

struct flow *
flow_set_match_number(const struct flow_set *s, const char *number)
{
	char want[64], have[64];

	if (s != NULL && flow_is_uri(number)) {
		for (size_t i = 0; i < s->n; i++)
			if (strcasecmp(s->flows[i]->phone_number, number) == 0)
				return s->flows[i];
		return NULL;
	}
	flow_digits(number, want, sizeof(want));
	if (s == NULL || want[0] == '\0')
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (flow_is_uri(s->flows[i]->phone_number))
			continue;
		flow_digits(s->flows[i]->phone_number, have, sizeof(have));
		if (strcmp(want, have) == 0)
			return s->flows[i];
	}
	return NULL;
}
