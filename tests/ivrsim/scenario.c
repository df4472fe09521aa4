/*
 * scenario: loads a scenario file (JSON, see ivrsim(1)), checks every key
 * and every node reference, and prepares all audio up front (synthesized
 * prompts, WAV files, the hold music) so that a call never waits on the
 * synthesizer.  Errors name the file, the node and the key at fault.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <spandsp.h>

#include "audio.h"
#include "ivrsim.h"
#include "log.h"

#define SCENARIO_MAX (4 * 1024 * 1024)

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static struct clip *
clip_find(struct scenario *sc, const char *key)
{
	for (struct clip *k = sc->clips; k != NULL; k = k->next)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

static struct clip *
clip_add(struct scenario *sc, const char *key, struct pcm pcm)
{
	struct clip *k = calloc(1, sizeof(*k));

	if (k == NULL)
		fatal("calloc");
	k->key = xstrdup(key);
	k->pcm = pcm;
	k->next = sc->clips;
	sc->clips = k;
	return k;
}

/* The synthesized prompt for text, cached per text. */
static const struct pcm *
clip_say(struct scenario *sc, const char *text, char *err, size_t errlen)
{
	char key[4096];
	struct clip *k;
	struct pcm pcm;

	snprintf(key, sizeof(key), "say:%s", text);
	if ((k = clip_find(sc, key)) != NULL)
		return &k->pcm;
	if (tts_say(text, &pcm, err, errlen) < 0)
		return NULL;
	return &clip_add(sc, key, pcm)->pcm;
}

/* A WAV file already resolved to a path, cached per path. */
static const struct pcm *
clip_file(struct scenario *sc, const char *path, char *err, size_t errlen)
{
	char key[PATH_MAX + 8];
	struct clip *k;
	struct pcm pcm;

	snprintf(key, sizeof(key), "file:%s", path);
	if ((k = clip_find(sc, key)) != NULL)
		return &k->pcm;
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (audio_wav_read(path, &pcm.s, &pcm.n, err, errlen) < 0)
		return NULL;
	return &clip_add(sc, key, pcm)->pcm;
}

static const struct pcm *
clip_music(struct scenario *sc)
{
	struct clip *k;
	struct pcm pcm;

	if ((k = clip_find(sc, "music:synthetic")) != NULL)
		return &k->pcm;
	if (music_synthetic(&pcm) < 0)
		fatalx("music: cannot generate the music bed");
	return &clip_add(sc, "music:synthetic", pcm)->pcm;
}

/*
 * Resolves a play/music path: "corpus:REL" under corpusdir, absolute as
 * is, anything else relative to the scenario's directory.  Sets *corpus
 * when the path came from the corpus (a missing file there may fall back).
 */
static void
resolve(const struct scenario *sc, const char *corpusdir, const char *p,
	char *out, size_t len, bool *corpus)
{
	*corpus = false;
	if (strncmp(p, "corpus:", 7) == 0) {
		*corpus = true;
		snprintf(out, len, "%s/%s", corpusdir, p + 7);
	} else if (p[0] == '/')
		snprintf(out, len, "%s", p);
	else
		snprintf(out, len, "%s/%s", sc->dir, p);
}

/*
 * Reads and parses a JSON file; errors say where the JSON went wrong
 * ("line 3: unexpected end of data").
 */
static int
json_load(const char *path, json_object **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct json_tokener *tok;
	enum json_tokener_error je;
	char *buf;
	size_t n, line = 1, end;

	*out = NULL;
	if (f == NULL)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	buf = malloc(SCENARIO_MAX + 1);
	if (buf == NULL)
		fatal("malloc");
	n = fread(buf, 1, SCENARIO_MAX + 1, f);
	fclose(f);
	if (n > SCENARIO_MAX) {
		free(buf);
		return fail(err, errlen, "%s: larger than %d bytes", path,
			    SCENARIO_MAX);
	}
	tok = json_tokener_new();
	if (tok == NULL)
		fatal("json_tokener_new");
	*out = json_tokener_parse_ex(tok, buf, (int)n);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (*out != NULL && je == json_tokener_success && end < n &&
	    strspn(buf + end, " \t\r\n") != n - end) {
		json_object_put(*out);
		*out = NULL;
		je = json_tokener_error_parse_unexpected;
	}
	for (size_t i = 0; i < end && i < n; i++)
		if (buf[i] == '\n')
			line++;
	json_tokener_free(tok);
	free(buf);
	if (*out == NULL)
		return fail(err, errlen, "%s: not valid JSON: line %zu: %s", path,
			    line,
			    je == json_tokener_continue
				? "unexpected end of data"
				: json_tokener_error_desc(je));
	return 0;
}

static bool
is_num(json_object *v)
{
	return json_object_is_type(v, json_type_double) ||
	       json_object_is_type(v, json_type_int);
}

/* Reads an optional number >= min into *d; -1 with err on a bad value. */
static int
get_num(json_object *o, const char *key, double min, double *d,
	const char *where, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!is_num(v) || json_object_get_double(v) < min)
		return fail(err, errlen, "%s: key '%s': expected a number >= %g",
			    where, key, min);
	*d = json_object_get_double(v);
	return 0;
}

static int
get_str(json_object *o, const char *key, char **s, const char *where,
	char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return fail(err, errlen, "%s: key '%s': expected a non-empty string",
			    where, key);
	*s = xstrdup(json_object_get_string(v));
	return 0;
}

static int
get_bool(json_object *o, const char *key, bool *b, const char *where,
	 char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return fail(err, errlen, "%s: key '%s': expected true or false",
			    where, key);
	*b = json_object_get_boolean(v);
	return 0;
}

/*
 * The agent picks up: an open line first (pickup_gap seconds of the room
 * and line noise), then the greeting over that noise, and the noise goes
 * on for as long as the agent listens.  Room noise is spandsp's Hoth
 * noise, the standard spectrum of an office.
 */
static int
agent_line(struct scenario *sc, struct node *n, char *err, size_t errlen)
{
	size_t gap = (size_t)(n->pickup_gap * AUDIO_RATE);
	size_t len = n->prompt != NULL ? n->prompt->n : 0;
	size_t total = gap + len, want = (size_t)(n->listen * AUDIO_RATE);
	noise_state_t *ns = NULL;
	struct pcm pcm;
	char key[300];

	if (want > total)
		total = want;
	if (n->line_noise_dbm0 > -90 &&
	    (ns = noise_init_dbm0(NULL, 1234, (float)n->line_noise_dbm0,
				  NOISE_CLASS_HOTH, 7)) == NULL)
		return fail(err, errlen, "node '%s': cannot make line noise",
			    n->name);
	pcm.n = total;
	if ((pcm.s = calloc(total, sizeof(*pcm.s))) == NULL)
		fatal("calloc");
	for (size_t i = 0; i < total; i++) {
		int v = ns != NULL ? noise(ns) : 0;

		if (i >= gap && i - gap < len)
			v += n->prompt->s[i - gap];
		pcm.s[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	if (ns != NULL)
		noise_free(ns);
	snprintf(key, sizeof(key), "agent-line:%s", n->name);
	n->prompt = &clip_add(sc, key, pcm)->pcm;
	return 0;
}

/* Warns about keys outside known[] (a NULL-terminated list). */
static void
warn_unknown(json_object *o, const char *const *known, const char *where)
{
	json_object_object_foreach(o, key, val) {
		bool ok = false;

		(void)val;
		for (size_t i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				ok = true;
		if (!ok)
			log_warnx("scenario: %s: unknown key '%s' ignored", where,
				  key);
	}
}

static int
find_node(const struct scenario *sc, const char *name)
{
	for (int i = 0; i < sc->nnodes; i++)
		if (strcmp(sc->nodes[i].name, name) == 0)
			return i;
	return -1;
}

static int
parse_node(struct node *n, json_object *o, char *err,
	   size_t errlen)
{
	static const char *const known[] = {
	    "say",     "play",	  "hold", "digits",  "collect",
	    "speech",  "timeout", "retries", "on_fail", "next",
	    "hangup",  "listen",  "description", "comment",
	    "pickup_gap", "line_noise_dbm0", NULL};
	static const char *const hold_known[] = {"music", "announce", "every",
						 "duration", NULL};
	static const char *const collect_known[] = {"max", "terminator",
						    "expect", NULL};
	static const char *const speech_known[] = {"min", "timeout", NULL};
	char where[300];
	json_object *v;
	double d;

	snprintf(where, sizeof(where), "node '%s'", n->name);
	if (!json_object_is_type(o, json_type_object))
		return fail(err, errlen, "%s: expected an object", where);
	warn_unknown(o, known, where);
	n->timeout = DEFAULT_TIMEOUT;
	n->retries = DEFAULT_RETRIES;
	n->on_fail = n->next = -1;
	if (get_str(o, "say", &n->say, where, err, errlen) < 0 ||
	    get_str(o, "play", &n->play, where, err, errlen) < 0 ||
	    get_str(o, "on_fail", &n->on_fail_name, where, err, errlen) < 0 ||
	    get_str(o, "next", &n->next_name, where, err, errlen) < 0 ||
	    get_bool(o, "hangup", &n->hangup, where, err, errlen) < 0 ||
	    get_num(o, "timeout", 0, &n->timeout, where, err, errlen) < 0 ||
	    get_num(o, "listen", 0, &n->listen, where, err, errlen) < 0)
		return -1;
	n->pickup_gap = DEFAULT_PICKUP_GAP;
	n->line_noise_dbm0 = DEFAULT_LINE_NOISE;
	if (get_num(o, "pickup_gap", 0, &n->pickup_gap, where, err, errlen) <
		0 ||
	    get_num(o, "line_noise_dbm0", -120, &n->line_noise_dbm0, where, err,
		    errlen) < 0)
		return -1;
	if (n->pickup_gap > 10 || n->line_noise_dbm0 > -20)
		return fail(err, errlen,
			    "%s: 'pickup_gap' must be <= 10 s and "
			    "'line_noise_dbm0' <= -20",
			    where);
	if (json_object_object_get_ex(o, "retries", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int(v) < 0 || json_object_get_int(v) > 100)
			return fail(err, errlen,
				    "%s: key 'retries': expected an integer 0..100",
				    where);
		n->retries = json_object_get_int(v);
	}
	if (json_object_object_get_ex(o, "hold", &v)) {
		char hw[340];

		snprintf(hw, sizeof(hw), "%s: key 'hold'", where);
		if (!json_object_is_type(v, json_type_object))
			return fail(err, errlen, "%s: expected an object", hw);
		warn_unknown(v, hold_known, hw);
		n->has_hold = true;
		n->every = 0;
		n->duration = 30;
		if (get_str(v, "music", &n->music, hw, err, errlen) < 0 ||
		    get_str(v, "announce", &n->announce, hw, err, errlen) < 0 ||
		    get_num(v, "every", 0, &n->every, hw, err, errlen) < 0 ||
		    get_num(v, "duration", 0, &n->duration, hw, err, errlen) < 0)
			return -1;
		if (n->announce != NULL && n->every <= 0)
			return fail(err, errlen,
				    "%s: 'announce' needs 'every' > 0", hw);
	}
	if (json_object_object_get_ex(o, "digits", &v)) {
		if (!json_object_is_type(v, json_type_object))
			return fail(err, errlen,
				    "%s: key 'digits': expected an object "
				    "{\"digit\": \"node\"}",
				    where);
		json_object_object_foreach(v, dk, dv) {
			if (strlen(dk) != 1 ||
			    strchr("0123456789*#ABCD", dk[0]) == NULL)
				return fail(err, errlen,
					    "%s: key 'digits': '%s' is not a DTMF "
					    "digit (0-9 * # A-D)",
					    where, dk);
			if (!json_object_is_type(dv, json_type_string))
				return fail(err, errlen,
					    "%s: key 'digits': digit '%s': expected "
					    "a node name",
					    where, dk);
			if (n->ndigits == IVR_MAX_DIGITS)
				return fail(err, errlen,
					    "%s: key 'digits': too many", where);
			n->digits[n->ndigits].digit = dk[0];
			n->digits[n->ndigits].target_name =
			    xstrdup(json_object_get_string(dv));
			n->ndigits++;
		}
	}
	if (json_object_object_get_ex(o, "collect", &v)) {
		char cw[340];
		char *term = NULL;

		snprintf(cw, sizeof(cw), "%s: key 'collect'", where);
		if (!json_object_is_type(v, json_type_object))
			return fail(err, errlen, "%s: expected an object", cw);
		warn_unknown(v, collect_known, cw);
		n->has_collect = true;
		d = 20;
		if (get_num(v, "max", 1, &d, cw, err, errlen) < 0 ||
		    get_str(v, "terminator", &term, cw, err, errlen) < 0 ||
		    get_str(v, "expect", &n->expect, cw, err, errlen) < 0)
			return -1;
		if (d > 60)
			return fail(err, errlen, "%s: 'max' must be <= 60", cw);
		n->collect_max = (int)d;
		if (term != NULL) {
			if (strlen(term) != 1 ||
			    strchr("0123456789*#ABCD", term[0]) == NULL) {
				free(term);
				return fail(err, errlen,
					    "%s: 'terminator' must be one DTMF digit",
					    cw);
			}
			n->terminator = term[0];
			free(term);
		}
	}
	if (json_object_object_get_ex(o, "speech", &v)) {
		char sw[340];

		snprintf(sw, sizeof(sw), "%s: key 'speech'", where);
		if (!json_object_is_type(v, json_type_object))
			return fail(err, errlen, "%s: expected an object", sw);
		warn_unknown(v, speech_known, sw);
		n->has_speech = true;
		n->speech_min = 0.5;
		n->speech_timeout = n->timeout;
		if (get_num(v, "min", 0, &n->speech_min, sw, err, errlen) < 0 ||
		    get_num(v, "timeout", 0, &n->speech_timeout, sw, err,
			    errlen) < 0)
			return -1;
	}
	if ((n->ndigits > 0) + n->has_collect + n->has_speech + (n->listen > 0) >
	    1)
		return fail(err, errlen,
			    "%s: 'digits', 'collect', 'speech' and 'listen' "
			    "exclude each other",
			    where);
	return 0;
}

/* Resolves node references and loads every clip the node needs. */
static int
prepare_node(struct scenario *sc, struct node *n, const char *corpusdir,
	     char *err, size_t errlen)
{
	char path[PATH_MAX], e2[512];
	bool corpus;

	for (int i = 0; i < n->ndigits; i++) {
		n->digits[i].target = find_node(sc, n->digits[i].target_name);
		if (n->digits[i].target < 0)
			return fail(err, errlen,
				    "node '%s': key 'digits': digit '%c' points "
				    "to '%s', which is not a node",
				    n->name, n->digits[i].digit,
				    n->digits[i].target_name);
	}
	if (n->next_name != NULL &&
	    (n->next = find_node(sc, n->next_name)) < 0)
		return fail(err, errlen,
			    "node '%s': key 'next': no node named '%s'", n->name,
			    n->next_name);
	if (n->on_fail_name != NULL &&
	    (n->on_fail = find_node(sc, n->on_fail_name)) < 0)
		return fail(err, errlen,
			    "node '%s': key 'on_fail': no node named '%s'",
			    n->name, n->on_fail_name);
	if (n->play != NULL) {
		resolve(sc, corpusdir, n->play, path, sizeof(path), &corpus);
		if (corpus && access(path, R_OK) != 0) {
			if (n->say == NULL)
				return fail(err, errlen,
					    "node '%s': key 'play': %s: not found "
					    "in the corpus and the node has no "
					    "'say' to fall back on",
					    n->name, path);
			log_warnx("scenario: node '%s': %s not found, using the "
				  "'say' text instead",
				  n->name, path);
		} else {
			n->prompt = clip_file(sc, path, e2, sizeof(e2));
			if (n->prompt == NULL)
				return fail(err, errlen,
					    "node '%s': key 'play': %s", n->name,
					    e2);
		}
	}
	if (n->prompt == NULL && n->say != NULL) {
		n->prompt = clip_say(sc, n->say, e2, sizeof(e2));
		if (n->prompt == NULL)
			return fail(err, errlen, "node '%s': key 'say': %s",
				    n->name, e2);
	}
	if (n->listen > 0 && agent_line(sc, n, err, errlen) < 0)
		return -1;
	if (n->has_hold) {
		if (n->music != NULL) {
			resolve(sc, corpusdir, n->music, path, sizeof(path),
				&corpus);
			if (corpus && access(path, R_OK) != 0) {
				log_warnx("scenario: node '%s': hold music %s "
					  "not found, using a synthetic music bed",
					  n->name, path);
				n->music_pcm = clip_music(sc);
			} else if ((n->music_pcm = clip_file(sc, path, e2,
							     sizeof(e2))) == NULL)
				return fail(err, errlen,
					    "node '%s': key 'hold': 'music': %s",
					    n->name, e2);
		} else
			n->music_pcm = clip_music(sc);
		if (n->announce != NULL) {
			size_t l = strlen(n->announce);

			if (l > 4 && strcasecmp(n->announce + l - 4, ".wav") == 0) {
				resolve(sc, corpusdir, n->announce, path,
					sizeof(path), &corpus);
				n->announce_pcm = clip_file(sc, path, e2,
							    sizeof(e2));
			} else
				n->announce_pcm = clip_say(sc, n->announce, e2,
							   sizeof(e2));
			if (n->announce_pcm == NULL)
				return fail(err, errlen,
					    "node '%s': key 'hold': 'announce': %s",
					    n->name, e2);
		}
	}
	return 0;
}

static char *
slugify(const char *s)
{
	char *o = malloc(strlen(s) + 2), *p = o;
	bool dash = false;

	if (o == NULL)
		fatal("malloc");
	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) {
			*p++ = *s;
			dash = false;
		} else if (*s >= 'A' && *s <= 'Z') {
			*p++ = (char)(*s - 'A' + 'a');
			dash = false;
		} else if (!dash && p != o) {
			*p++ = '-';
			dash = true;
		}
	}
	if (p != o && p[-1] == '-')
		p--;
	*p = '\0';
	if (*o == '\0')
		strcpy(o, "ivrsim");
	return o;
}

int
scenario_load(struct scenario **out, const char *path, const char *corpusdir,
	      char *err, size_t errlen)
{
	static const char *const known[] = {
	    "name",  "number", "voice", "answer_after", "early_media",
	    "start", "nodes",  "description", "comment", NULL};
	struct scenario *sc;
	json_object *root = NULL, *nodes, *v;
	char *slash;
	int rc = -1, i;
	char where[PATH_MAX + 16];

	*out = NULL;
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		fatal("calloc");
	sc->path = xstrdup(path);
	sc->dir = xstrdup(path);
	slash = strrchr(sc->dir, '/');
	if (slash == NULL)
		strcpy(sc->dir, ".");
	else if (slash == sc->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	snprintf(where, sizeof(where), "%s", path);

	if (json_load(path, &root, err, errlen) < 0)
		goto out;
	if (!json_object_is_type(root, json_type_object)) {
		fail(err, errlen, "%s: expected a JSON object at the top", path);
		goto out;
	}
	warn_unknown(root, known, "top level");
	sc->answer_after = 1.0;
	if (get_str(root, "name", &sc->name, "top level", err, errlen) < 0 ||
	    get_str(root, "number", &sc->number, "top level", err, errlen) < 0 ||
	    get_str(root, "voice", &sc->voice, "top level", err, errlen) < 0 ||
	    get_str(root, "start", &sc->start_name, "top level", err, errlen) <
		0 ||
	    get_num(root, "answer_after", 0, &sc->answer_after, "top level",
		    err, errlen) < 0 ||
	    get_bool(root, "early_media", &sc->early_media, "top level", err,
		     errlen) < 0)
		goto out;
	if (sc->name == NULL)
		sc->name = xstrdup("ivrsim");
	sc->slug = slugify(sc->name);
	if (sc->start_name == NULL) {
		fail(err, errlen, "top level: key 'start' is missing");
		goto out;
	}
	if (!json_object_object_get_ex(root, "nodes", &nodes) ||
	    !json_object_is_type(nodes, json_type_object) ||
	    json_object_object_length(nodes) == 0) {
		fail(err, errlen,
		     "top level: key 'nodes': expected a non-empty object");
		goto out;
	}
	sc->nnodes = json_object_object_length(nodes);
	sc->nodes = calloc((size_t)sc->nnodes, sizeof(*sc->nodes));
	if (sc->nodes == NULL)
		fatal("calloc");
	i = 0;
	{
		json_object_object_foreach(nodes, nk, nv) {
			(void)nv;
			sc->nodes[i++].name = xstrdup(nk);
		}
	}
	if ((sc->start = find_node(sc, sc->start_name)) < 0) {
		fail(err, errlen, "top level: key 'start': no node named '%s'",
		     sc->start_name);
		goto out;
	}
	for (i = 0; i < sc->nnodes; i++) {
		json_object_object_get_ex(nodes, sc->nodes[i].name, &v);
		if (parse_node(&sc->nodes[i], v, err, errlen) < 0)
			goto out;
	}
	if (tts_init(sc->voice) < 0) {
		fail(err, errlen, "speech synthesis: cannot initialise espeak-ng");
		goto out;
	}
	for (i = 0; i < sc->nnodes; i++)
		if (prepare_node(sc, &sc->nodes[i], corpusdir, err, errlen) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0) {
		/* Prefix the file name once. */
		char tmp[1024];

		if (strncmp(err, path, strlen(path)) != 0) {
			snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
			snprintf(err, errlen, "%s", tmp);
		}
		scenario_free(sc);
	} else
		*out = sc;
	json_object_put(root);
	return rc;
}

void
scenario_free(struct scenario *sc)
{
	if (sc == NULL)
		return;
	for (int i = 0; i < sc->nnodes; i++) {
		struct node *n = &sc->nodes[i];

		free(n->name);
		free(n->say);
		free(n->play);
		free(n->music);
		free(n->announce);
		free(n->expect);
		free(n->on_fail_name);
		free(n->next_name);
		for (int j = 0; j < n->ndigits; j++)
			free(n->digits[j].target_name);
	}
	free(sc->nodes);
	while (sc->clips != NULL) {
		struct clip *k = sc->clips;

		sc->clips = k->next;
		free(k->key);
		free(k->pcm.s);
		free(k);
	}
	free(sc->path);
	free(sc->dir);
	free(sc->name);
	free(sc->slug);
	free(sc->number);
	free(sc->voice);
	free(sc->start_name);
	free(sc);
}
