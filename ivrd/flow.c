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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
flow_step_clear(struct flow_step *s)
{
	free(s->id);
	free(s->description);
	free(s->dtmf);
	free(s->next_step);
	free(s->text);
	free(s->device);
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
		if (strlen(s->dtmf) > FLOW_DTMF_MAX)
			return flow_fail(x, "dtmf", "longer than %d digits",
					 FLOW_DTMF_MAX);
		for (const char *p = s->dtmf; *p; p++)
			if (!strchr("0123456789*#ABCDabcd", *p))
				return flow_fail(x, "dtmf",
						 "'%s' has a character that is "
						 "not a DTMF digit",
						 s->dtmf);
		for (char *p = s->dtmf; *p; p++)
			*p = (char)toupper((unsigned char)*p);
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
		if (!json_object_is_type(v, json_type_object) &&
		    !json_object_is_type(v, json_type_array))
			return flow_fail(x, "conditions",
					 "must be an object or an array, not %s",
					 flow_type_of(v));
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
	for (const char *p = f->phone_number; *p; p++) {
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

struct flow *
flow_set_match_number(const struct flow_set *s, const char *number)
{
	char want[64], have[64];

	flow_digits(number, want, sizeof(want));
	if (s == NULL || want[0] == '\0')
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		flow_digits(s->flows[i]->phone_number, have, sizeof(have));
		if (strcmp(want, have) == 0)
			return s->flows[i];
	}
	return NULL;
}
