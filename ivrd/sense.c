/*
 * sense: what words mean, from WordNet, for menu.c's matching of an intent
 * against a menu option ("my suitcase did not arrive" against "baggage
 * services", "cancel my service" against "disconnect").  A word's meaning
 * is the set of WordNet synsets near it: the senses of its base forms
 * (morphstr: "suitcases" is "suitcase") that are seen in use, the first
 * one nearest; their hypernyms a few levels up; and the synsets their
 * derivational, pertainym, similarity and holonym links reach (one link,
 * not climbed further: "file" leads to "filing", whose hypernyms are
 * another word's).  Two words are as close as the shortest way between
 * them that ends on one of them (the first sense of one word, found in
 * the other's set: no siblings under a shared hypernym, which join most
 * words).
 *
 * The database is read through libwn (Debian wordnet-dev, data in
 * wordnet-base, found at WNSEARCHDIR or the library's built-in path).
 * Reads are local file reads, done once per word: each word's set is kept
 * in a small cache (the only state of this file, in one static struct,
 * freed by sense_cleanup()).  When wninit() fails, one clear log line says
 * so and every word is only itself: menu.c falls back to plain word
 * overlap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wn.h>

#include "log.h"
#include "nav.h"

/*
 * What measured these: the dev menus of tests/unit/test_menu.c and
 * test_nav.c and the companies of tests/explore/cases.tsv.
 */
/* Senses per part of speech, the commonest first: the first at 0 links,
 * the others (only those tagged in WordNet's corpus: in use) at 1. */
#define SENSE_SENSES 4
#define SENSE_HYPER 2	 /* hypernym levels climbed from each sense */
#define SENSE_SET_MAX 512 /* synsets kept per word */
#define SENSE_CACHE 512	 /* words kept */
#define SENSE_WORD_MAX 32
#define SENSE_LINE_MAX 65536 /* a data file line (a synset) */
#define SENSE_PTRS_MAX 1024  /* pointers read of one synset */
/* A verb's hypernym is a longer way than a noun's: the verb hierarchy is
 * shallow and its tops ("act", "change", "make") join unrelated verbs. */
#define SENSE_VERB_HYPER 2

/*
 * The closeness of two words by the length of the shortest way between
 * them (links from each word to a shared synset): 0 is a synonym
 * ("luggage", "baggage"), 1 a direct hypernym or derivation ("suitcase"
 * is part of "baggage"; "cancel", "cancellation"), 2 two links (a
 * prescription drug is a medication), 3 three.  Longer ways say nothing:
 * most words meet there ("act", "entity").
 */
static const double sense_by_links[] = {0.9, 0.8, 0.7, 0.4};
#define SENSE_LINKS_MAX \
	((int)(sizeof(sense_by_links) / sizeof(sense_by_links[0])) - 1)

struct sense_node {
	unsigned int off;     /* the synset's byte offset in its data file */
	unsigned char pos;    /* NOUN, VERB, ADJ, ADV */
	unsigned char links;  /* links from the word */
	unsigned char side;   /* reached by a derivation or similarity link */
};

struct sense_word {
	char w[SENSE_WORD_MAX];
	size_t n;
	struct sense_node *s; /* SENSE_SET_MAX */
};

static struct {
	int state; /* 0 not tried, 1 ready, -1 no database */
	struct sense_word *cache;
	size_t n, next;
	struct sense_node *nodes;
} sense;

static int
sense_init(void)
{
	if (sense.state != 0)
		return sense.state;
	sense.state = -1;
	if (wninit() != 0) {
		const char *dir = getenv("WNSEARCHDIR");
		log_warnx("menu: the WordNet database cannot be opened "
			  "(%s; install wordnet-base or set WNSEARCHDIR): "
			  "options are matched by plain word overlap",
			  dir ? dir : "the library's default path");
		return sense.state;
	}
	sense.cache = calloc(SENSE_CACHE, sizeof(*sense.cache));
	sense.nodes = calloc((size_t)SENSE_CACHE * SENSE_SET_MAX,
			     sizeof(*sense.nodes));
	if (sense.cache == NULL || sense.nodes == NULL) {
		log_warnx("menu: out of memory for the WordNet cache: options "
			  "are matched by plain word overlap");
		free(sense.cache);
		free(sense.nodes);
		sense.cache = NULL;
		sense.nodes = NULL;
		return sense.state;
	}
	for (size_t i = 0; i < SENSE_CACHE; i++)
		sense.cache[i].s = sense.nodes + i * SENSE_SET_MAX;
	sense.state = 1;
	return sense.state;
}

int
sense_ready(void)
{
	return sense_init() > 0;
}

void
sense_cleanup(void)
{
	free(sense.cache);
	free(sense.nodes);
	memset(&sense, 0, sizeof(sense));
}

static void
sense_add(struct sense_word *sw, int pos, long off, int links, int side)
{
	if (off < 0 || pos < NOUN || pos > ADV)
		return;
	for (size_t i = 0; i < sw->n; i++)
		if (sw->s[i].off == (unsigned int)off && sw->s[i].pos == pos) {
			if (sw->s[i].links > links) {
				sw->s[i].links = (unsigned char)links;
				sw->s[i].side = (unsigned char)side;
			}
			return;
		}
	if (sw->n >= SENSE_SET_MAX)
		return;
	sw->s[sw->n].off = (unsigned int)off;
	sw->s[sw->n].pos = (unsigned char)pos;
	sw->s[sw->n].links = (unsigned char)links;
	sw->s[sw->n].side = (unsigned char)side;
	sw->n++;
}

/* The senses of lemma as pos: the first at 0 links, the later ones in
 * use a link farther (a word's first sense is what it says most). */
static void
sense_lemma(struct sense_word *sw, const char *lemma, int pos)
{
	char buf[SENSE_WORD_MAX];
	IndexPtr idx;

	snprintf(buf, sizeof(buf), "%s", lemma);
	if ((idx = index_lookup(buf, pos)) == NULL)
		return;
	for (int i = 0; i < idx->off_cnt && i < SENSE_SENSES; i++)
		if (i == 0 || i < idx->tagged_cnt)
			sense_add(sw, pos, idx->offset[i], i == 0 ? 0 : 1, 0);
	free_index(idx);
}

/*
 * The pointers of synset (pos, off) that sense_expand() follows, read from
 * its line in the data file libwn opened (wndb(5WN): offset, lex file,
 * type, word count in hex, the words with their lex ids, the pointer count,
 * then "symbol offset pos source/target" per pointer).  Not read_synset():
 * it also looks each word of the synset up in index.sense, dozens of reads
 * per synset where one is needed here.  Returns the number of pointers
 * kept in ptr (at most max), or 0 on a short or malformed line.
 */
struct sense_ptr {
	int type, pos;
	long off;
};

static size_t
sense_read(int pos, long off, struct sense_ptr *ptr, size_t max)
{
	static char line[SENSE_LINE_MAX];
	char *save = NULL, *tok;
	FILE *fp;
	unsigned long nw;
	long np;
	size_t n = 0;

	if (pos < NOUN || pos > ADV || (fp = datafps[pos]) == NULL ||
	    fseek(fp, off, SEEK_SET) != 0 || fgets(line, sizeof(line), fp) == NULL)
		return 0;
	/* offset, lex file number, synset type, word count (hex) */
	if (strtok_r(line, " ", &save) == NULL ||
	    strtok_r(NULL, " ", &save) == NULL ||
	    strtok_r(NULL, " ", &save) == NULL ||
	    (tok = strtok_r(NULL, " ", &save)) == NULL)
		return 0;
	nw = strtoul(tok, NULL, 16);
	for (unsigned long i = 0; i < 2 * nw; i++)
		if (strtok_r(NULL, " ", &save) == NULL)
			return 0;
	if ((tok = strtok_r(NULL, " ", &save)) == NULL)
		return 0;
	np = strtol(tok, NULL, 10);
	for (long i = 0; i < np; i++) {
		char *sym = strtok_r(NULL, " ", &save);
		char *o = strtok_r(NULL, " ", &save);
		char *ps = strtok_r(NULL, " ", &save);
		if (sym == NULL || o == NULL || ps == NULL ||
		    strtok_r(NULL, " ", &save) == NULL)
			break;
		if (n >= max)
			continue;
		ptr[n].type = getptrtype(sym);
		ptr[n].pos = getpos(ps);
		ptr[n].off = strtol(o, NULL, 10);
		if (ptr[n].pos == SATELLITE)
			ptr[n].pos = ADJ;
		n++;
	}
	return n;
}

static void
sense_expand(struct sense_word *sw)
{
	static struct sense_ptr ptr[SENSE_PTRS_MAX];
	char buf[SENSE_WORD_MAX], *b;

	sw->n = 0;
	for (int pos = NOUN; pos <= ADV; pos++) {
		snprintf(buf, sizeof(buf), "%s", sw->w);
		sense_lemma(sw, buf, pos);
		for (b = morphstr(buf, pos); b; b = morphstr(NULL, pos))
			if (strcmp(b, sw->w) != 0)
				sense_lemma(sw, b, pos);
	}
	/* Breadth first: the set grows while it is walked. */
	for (size_t i = 0; i < sw->n; i++) {
		struct sense_node nd = sw->s[i];
		size_t np;

		if (nd.links >= SENSE_LINKS_MAX)
			continue;
		np = sense_read(nd.pos, (long)nd.off, ptr, SENSE_PTRS_MAX);
		for (size_t p = 0; p < np; p++) {
			int t = ptr[p].type;
			/* Hypernyms of the word's own senses only: a
			 * derived word's ("file", "filing") are another
			 * word's. */
			if ((t == HYPERPTR || t == INSTANCE) &&
			    nd.links < SENSE_HYPER && !nd.side)
				sense_add(sw, ptr[p].pos, ptr[p].off,
					  nd.links + (nd.pos == VERB
							  ? SENSE_VERB_HYPER
							  : 1),
					  0);
			else if ((t == DERIVATION || t == PERTPTR ||
				  t == SIMPTR || t == ISMEMBERPTR ||
				  t == ISPARTPTR) &&
				 nd.links <= 1 && !nd.side)
				sense_add(sw, ptr[p].pos, ptr[p].off,
					  nd.links + 1, 1);
		}
	}
}

/* The set of w (borrowed: valid until the next sense_of() call). */
static const struct sense_word *
sense_of(const char *w)
{
	struct sense_word *sw;

	for (size_t i = 0; i < sense.n; i++)
		if (strcmp(sense.cache[i].w, w) == 0)
			return &sense.cache[i];
	if (sense.n < SENSE_CACHE)
		sw = &sense.cache[sense.n++];
	else {
		sw = &sense.cache[sense.next];
		sense.next = (sense.next + 1) % SENSE_CACHE;
	}
	snprintf(sw->w, sizeof(sw->w), "%s", w);
	sense_expand(sw);
	return sw;
}

double
sense_similarity(const char *a, const char *b)
{
	const struct sense_word *sa, *sb;
	struct sense_word ca;
	int best = SENSE_LINKS_MAX + 1;

	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0')
		return 0;
	if (strcmp(a, b) == 0)
		return 1.0;
	if (strlen(a) >= SENSE_WORD_MAX || strlen(b) >= SENSE_WORD_MAX ||
	    sense_init() <= 0)
		return 0;
	/* Copied: the second look-up may reuse the first's cache slot. */
	sa = sense_of(a);
	ca = *sa;
	sb = sense_of(b);
	if (sb->s == ca.s && strcmp(sb->w, ca.w) != 0)
		return 0;
	for (size_t i = 0; i < ca.n; i++)
		for (size_t j = 0; j < sb->n; j++)
			if (ca.s[i].off == sb->s[j].off &&
			    ca.s[i].pos == sb->s[j].pos &&
			    (ca.s[i].links == 0 || sb->s[j].links == 0) &&
			    ca.s[i].links + sb->s[j].links < best)
				best = ca.s[i].links + sb->s[j].links;
	return best <= SENSE_LINKS_MAX ? sense_by_links[best] : 0;
}
