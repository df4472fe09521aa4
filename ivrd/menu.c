/*
 * menu: reads what a phone menu said.  The input is a transcript, often
 * from an offline recogniser: lower case, no punctuation, words misheard
 * ("press to" for "press two").  The output is the options (digit and
 * label), the prompts for data ("enter your account number followed by
 * pound"), for speech ("tell me in a few words why you're calling") and for
 * hold ("please hold"), and a score of how well a label answers an intent
 * (the meaning of the words, from WordNet through sense.c, plus a few
 * telephony idioms).  Pure: no bus, no clock, so that every wording can
 * be tested (sense.c reads the WordNet files, the same every time).
 *
 * Options are found around anchors, a verb and a key ("press 2", "dial
 * zero", "press the star key", "option 3").  A menu says either "for X,
 * press N" (the label before the anchor) or "press N for X" (after): with
 * sentence punctuation each anchor's sentence says which; without it the
 * ends of the whole prompt decide for every option (menu_options()).  A
 * "press" whose key the recogniser lost ("press there") is still an
 * anchor: its label stays its own, and its key is counted from its
 * neighbours or left unknown, never taken from the next label.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nav.h"

#define MENU_TOK_MAX 768
#define MENU_WORD_MAX 32

struct menu_toks {
	char w[MENU_TOK_MAX][MENU_WORD_MAX];
	size_t n;
	int punct; /* the text had sentence punctuation */
};

static int
menu_is_sep(const char *w)
{
	return strcmp(w, ".") == 0 || strcmp(w, ",") == 0;
}

static void
menu_tok_push(struct menu_toks *t, const char *w, size_t len)
{
	if (t->n >= MENU_TOK_MAX || len == 0)
		return;
	if (len >= MENU_WORD_MAX)
		len = MENU_WORD_MAX - 1;
	/* No empty sentences: collapse runs of separators. */
	if (menu_is_sep(w) && len == 1 &&
	    (t->n == 0 || menu_is_sep(t->w[t->n - 1]))) {
		if (t->n > 0 && w[0] == '.')
			t->w[t->n - 1][0] = '.';
		return;
	}
	memcpy(t->w[t->n], w, len);
	t->w[t->n][len] = '\0';
	t->n++;
}

/* Words (lower case, apostrophes kept), "." for . ! ? ; : and "," */
static void
menu_tokenize(const char *text, struct menu_toks *t)
{
	const unsigned char *p = (const unsigned char *)text;
	char w[MENU_WORD_MAX];
	size_t l = 0;

	t->n = 0;
	t->punct = 0;
	for (;; p++) {
		int c = *p;
		int word = isalpha(c) || c == '\'';
		int digit = isdigit(c);

		/* A digit run is its own token ("1-800", "press 2."). */
		if (l > 0 && ((digit && !isdigit((unsigned char)w[l - 1])) ||
			      (word && isdigit((unsigned char)w[l - 1])))) {
			menu_tok_push(t, w, l);
			l = 0;
		}
		if (word || digit) {
			if (l + 1 < sizeof(w))
				w[l++] = (char)tolower(c);
			continue;
		}
		if (l > 0) {
			/* Drop quotes around words. */
			while (l > 0 && w[l - 1] == '\'')
				l--;
			size_t s = 0;
			while (s < l && w[s] == '\'')
				s++;
			menu_tok_push(t, w + s, l - s);
			l = 0;
		}
		if (c == '\0')
			break;
		if (c == '.' || c == '!' || c == '?' || c == ';' || c == ':') {
			menu_tok_push(t, ".", 1);
			t->punct = 1;
		} else if (c == ',') {
			menu_tok_push(t, ",", 1);
			t->punct = 1;
		} else if (c == '*') {
			menu_tok_push(t, "star", 4);
		} else if (c == '#') {
			menu_tok_push(t, "pound", 5);
		}
	}
}

/* ---- digits ---- */

static const struct {
	const char *w;
	const char *d;
	int sound; /* only right after a verb: a word heard for the digit */
} menu_digit_words[] = {
    {"zero", "0", 0},	 {"oh", "0", 1},	{"o", "0", 1},
    {"one", "1", 0},	 {"won", "1", 1},	{"two", "2", 0},
    {"to", "2", 1},	 {"too", "2", 1},	{"three", "3", 0},
    {"tree", "3", 1},	 {"four", "4", 0},	{"for", "4", 1},
    {"fore", "4", 1},	 {"five", "5", 0},	{"six", "6", 0},
    {"sex", "6", 1},	 {"seven", "7", 0},	{"eight", "8", 0},
    {"ate", "8", 1},	 {"nine", "9", 0},	{"nein", "9", 1},
    {"star", "*", 0},	 {"asterisk", "*", 0},	{"pound", "#", 0},
    {"hash", "#", 0},	 {"hashtag", "#", 0},
};

/* The DTMF digit a word names, or NULL; sounds allows homophones. */
static const char *
menu_digit(const char *w, int sounds)
{
	static char num[3][3];
	static int k;
	size_t l = strlen(w);

	if (l >= 1 && l <= 2 && isdigit((unsigned char)w[0]) &&
	    (l == 1 || isdigit((unsigned char)w[1]))) {
		k = (k + 1) % 3;
		snprintf(num[k], sizeof(num[k]), "%s", w);
		return num[k];
	}
	for (size_t i = 0;
	     i < sizeof(menu_digit_words) / sizeof(menu_digit_words[0]); i++)
		if (strcmp(w, menu_digit_words[i].w) == 0 &&
		    (sounds || !menu_digit_words[i].sound))
			return menu_digit_words[i].d;
	return NULL;
}

static int
menu_in(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(w, *set) == 0)
			return 1;
	return 0;
}

static const char *const menu_verbs_loose[] = {
    "press", "pressed", "presses", "pressing", "dial", "push", "hit",
    "touch", "prez", "dialing", NULL};
static const char *const menu_verbs_strict[] = {"enter", "select", "choose",
						 "key", "option", NULL};
static const char *const menu_verb_skip[] = {"the", "option", "number",
					      "button", "key", "in", NULL};
static const char *const menu_digit_tail[] = {"key", "button", "now",
					       "sign", "on", "your", "keypad",
					       "phone", "telephone", NULL};

static const char *const menu_intro[] = {"for", "to", "if", "regarding",
					  "about", "when", NULL};

/*
 * Words a recogniser gives for a key it did not catch, right after
 * "press": "press there" (three? zero?), "press free".  Unlike the sounds
 * of menu_digit_words they do not say which key: the order of the menu
 * may (menu_options).
 */
static const char *const menu_lost_sounds[] = {
    "there", "their", "they're", "tree", "free", "through", "threw",
    "want", "wan", "fine", "fire", "sticks", "heaven", "hero", "dare",
    "where", NULL};

struct menu_anchor {
	size_t start, end; /* tokens [start, end) */
	char digit[4];	   /* "" when lost */
	int lost;	   /* "press" heard, its key not */
};

/* Finds the anchors ("press 2", "dial zero", "option 3") in order. */
static size_t
menu_anchors(const struct menu_toks *t, struct menu_anchor *a, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n && n < max; i++) {
		int loose = menu_in(t->w[i], menu_verbs_loose);
		const char *d = NULL;
		size_t j = i + 1;

		if (!loose && !menu_in(t->w[i], menu_verbs_strict))
			continue;
		if (strcmp(t->w[i], "option") != 0)
			for (int s = 0; s < 2 && j < t->n &&
					menu_in(t->w[j], menu_verb_skip);
			     s++)
				j++;
		/* "press" with its key lost: at the end, before a full stop,
		 * or followed by a sound that is no key ("press there"). */
		if (loose && (j >= t->n || strcmp(t->w[j], ".") == 0 ||
			      (menu_in(t->w[j], menu_lost_sounds) &&
			       (j + 1 >= t->n || menu_in(t->w[j + 1], menu_intro) ||
				menu_is_sep(t->w[j + 1]))))) {
			a[n].start = i;
			a[n].digit[0] = '\0';
			a[n].lost = 1;
			a[n].end = j < t->n && strcmp(t->w[j], ".") != 0 ? j + 1
									  : j;
			i = a[n].end > i ? a[n].end - 1 : i;
			n++;
			continue;
		}
		if (j >= t->n)
			continue;
		d = menu_digit(t->w[j], loose);
		if (d == NULL)
			continue;
		/* "press for" followed by words is rarely a digit, but "press
		 * for billing" is not English either: a recogniser's four. */
		j++;
		/* "dial 9 1 1": a number to call, not a menu key. */
		if (j < t->n && menu_digit(t->w[j], 0) &&
		    strcmp(t->w[j], "star") != 0 && strcmp(t->w[j], "pound") != 0) {
			while (j < t->n && menu_digit(t->w[j], 0))
				j++;
			i = j - 1;
			continue;
		}
		a[n].start = i;
		a[n].lost = 0;
		snprintf(a[n].digit, sizeof(a[n].digit), "%s", d);
		/* "press 2 key"; the tail words (not "on your phone" as a
		 * label: those never carry meaning). */
		while (j < t->n && menu_in(t->w[j], menu_digit_tail) &&
		       !(strcmp(t->w[j], "on") == 0 && j + 1 < t->n &&
			 !menu_in(t->w[j + 1], menu_digit_tail)))
			j++;
		a[n].end = j;
		n++;
		i = j - 1;
	}
	return n;
}

/* ---- labels ---- */


static const char *const menu_lead_filler[] = {
    ",", "or", "and", "otherwise", "please", "then", "now", "just", "simply",
    "also", "else", "alternatively", "say", NULL};
static const char *const menu_tail_filler[] = {",", "or", "and", "please",
						"now", "say", "then", ".",
						NULL};

/* Tokens [s, e) as a label in out, fillers trimmed; returns its words. */
static size_t
menu_label(const struct menu_toks *t, size_t s, size_t e, char *out,
	   size_t outlen)
{
	size_t n = 0, o = 0;

	while (s < e && menu_in(t->w[s], menu_lead_filler))
		s++;
	/* "you can say billing or press 1" */
	if (s + 2 < e && strcmp(t->w[s], "you") == 0 &&
	    (strcmp(t->w[s + 1], "can") == 0 ||
	     strcmp(t->w[s + 1], "may") == 0) &&
	    strcmp(t->w[s + 2], "say") == 0)
		s += 3;
	while (e > s && menu_in(t->w[e - 1], menu_tail_filler))
		e--;
	if (s < e && (strcmp(t->w[s], "for") == 0 ||
		      strcmp(t->w[s], "to") == 0))
		s++;
	out[0] = '\0';
	for (size_t i = s; i < e; i++) {
		int l;
		if (menu_is_sep(t->w[i]))
			continue;
		l = snprintf(out + o, outlen - o, "%s%s", o ? " " : "",
			     t->w[i]);
		if (l < 0 || (size_t)l >= outlen - o)
			break;
		o += (size_t)l;
		n++;
	}
	return n;
}

/* Content words of [s, e): not separators nor fillers. */
static size_t
menu_content(const struct menu_toks *t, size_t s, size_t e)
{
	size_t n = 0;

	for (size_t i = s; i < e; i++)
		if (!menu_is_sep(t->w[i]) && !menu_in(t->w[i], menu_lead_filler))
			n++;
	return n;
}

/*
 * The start of the first label of a "for X, press N" menu without
 * punctuation, in [s, e): the greeting before it is dropped.  The first
 * introducer among the last eight words that is not "thank you for" or
 * "for calling".
 */
static size_t
menu_first_label_start(const struct menu_toks *t, size_t s, size_t e)
{
	size_t from = e > s + 8 ? e - 8 : s;

	for (size_t i = from; i < e; i++) {
		if (!menu_in(t->w[i], menu_intro))
			continue;
		if (i > 0 && strcmp(t->w[i - 1], "you") == 0 &&
		    strcmp(t->w[i], "for") == 0)
			continue;
		if (i + 1 < e && (strcmp(t->w[i + 1], "calling") == 0 ||
				  strcmp(t->w[i + 1], "choosing") == 0 ||
				  strcmp(t->w[i + 1], "us") == 0))
			continue;
		return i;
	}
	return e > s + 6 ? e - 6 : s;
}

static int
menu_has(const char *text, const char *phrase)
{
	char pat[128];

	snprintf(pat, sizeof(pat), " %s ", phrase);
	return strstr(text, pat) != NULL;
}

static int
menu_has_any(const char *text, const char *const *phrases)
{
	for (; *phrases; phrases++)
		if (menu_has(text, *phrases))
			return 1;
	return 0;
}

static const char *const menu_agent_words[] = {
    "representative", "representatives", "agent", "agents", "operator",
    "associate", "associates", "person", "human", "someone", "somebody",
    "specialist", "rep", "advisor", "advisors", "customer service",
    "customer care", "member services", "team member", "live", "attendant",
    "receptionist", "staff", "banker", NULL};
static const char *const menu_other_words[] = {
    "all other", "any other", "anything else", "everything else",
    "other questions", "other inquiries", "other requests", "none of these",
    "none of the above", "other options", "more options", "all others",
    "other services",
    "other matters", "general", NULL};

/* Words that carry no meaning in a menu or an intent. */
static const char *const menu_stop[] = {
    "a", "an", "the", "my", "your", "our", "i", "i'm", "me", "to", "for",
    "of", "on", "in", "about", "with", "is", "are", "be", "you", "if",
    "and", "or", "please", "press", "want", "need", "would", "like",
    "calling", "call", "some", "this", "that", "it", "have", "has", "do",
    "question", "questions", "help", "get", "can", "could", "we", "us",
    "at", "by", "from", "as", "so", "am", "was", "were", "there", "here",
    "what", "how", "why", "which", "who", "will", "just", "let", "know",
    "make", "made", "regarding", "concerning", "related", "inquiry",
    "inquiries", "information", "info", "other", "all", "any", "more",
    "dial", "option", "now", "then", "also", "'s", "it's", "don't", "not",
    "no", "yes", "you're", "we're", "thank", "thanks", "hello", "hi",
    "please", "select", "say", "enter", "choose", "one", "two", "three",
    "four", "five", "six", "seven", "eight", "nine", "zero", "wish",
    "looking", "trying", "try", "check", "find", "out", "up", "see",
    NULL};

/*
 * Options that put the caller off rather than serve the intent: offers
 * and promotions (a retention menu's "to hear our special offers"),
 * surveys, the web site or the app.  Never chosen for an intent that
 * does not ask for them (nav.c).
 */
static const char *const menu_defer_words[] = {
    "offer", "offers", "special offer", "special offers", "promotion",
    "promotions", "promotional", "promo", "promos", "deal", "deals",
    "discount", "discounts", "survey", "surveys", "feedback", "website",
    "web site", "online", "our app", "mobile app", "text message",
    "newsletter", "rewards program", NULL};
static const char *const menu_repeat_words[] = {
    "repeat", "repeated", "hear these options again", "hear this menu",
    "hear the menu", "hear the options", "hear them again", "replay",
    "again", NULL};
static const char *const menu_back_words[] = {
    "previous menu", "main menu", "go back", "return to", "back to",
    "start over", NULL};

int
menu_defers(const char *text)
{
	char s[MENU_TEXT_MAX + 4];

	if (text == NULL)
		return 0;
	snprintf(s, sizeof(s), " %s ", text);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return menu_has_any(s, menu_defer_words);
}

void
menu_label_core(const char *label, char *out, size_t outlen)
{
	const char *const *sets[] = {menu_repeat_words, menu_back_words};
	char s[MENU_LABEL_MAX + 4];

	snprintf(s, sizeof(s), " %s ", label ? label : "");
	for (size_t k = 0; k < 2; k++)
		for (const char *const *w = sets[k]; *w; w++) {
			char pat[64], *p;
			size_t l;
			snprintf(pat, sizeof(pat), " %s ", *w);
			l = strlen(pat) - 1;
			while ((p = strstr(s, pat)) != NULL)
				memmove(p, p + l, strlen(p + l) + 1);
		}
	snprintf(out, outlen, "%s", s);
}

/* Words of an agent option that say nothing against it being the
 * representative ("to speak with an account specialist"). */
static const char *const menu_agent_plain[] = {
    "speak", "talk", "with", "account", "customer", "service", "services",
    "connect", "reach", "available", "next", "member", "care", "support",
    "be", "connected", "transferred", NULL};

double
menu_agent_fit(const char *label)
{
	static struct menu_toks t;
	size_t n = 0, good = 0;

	if (label == NULL || menu_defers(label))
		return 0;
	menu_tokenize(label, &t);
	for (size_t i = 0; i < t.n; i++) {
		char s[MENU_WORD_MAX + 2];
		if (menu_is_sep(t.w[i]) || menu_in(t.w[i], menu_stop))
			continue;
		n++;
		snprintf(s, sizeof(s), " %s ", t.w[i]);
		if (menu_in(t.w[i], menu_agent_plain) ||
		    menu_has_any(s, menu_agent_words))
			good++;
	}
	return n ? (double)good / (double)n : 0;
}

static enum menu_opt_kind
menu_kind(const char *label)
{
	static const char *const *const repeat = menu_repeat_words;
	static const char *const *const back = menu_back_words;
	static const char *const skip[] = {
	    "don't have", "do not have", "don't know", "do not know",
	    "not have", "dont have", "can't find", "cannot find", "not sure",
	    NULL};
	static const char *const deny[] = {"incorrect", "not correct",
					   "re enter", "reenter", "try again",
					   "change it", "is wrong", NULL};
	static const char *const confirm[] = {"correct", "yes", "confirm",
					      "is right", "that's right", NULL};
	char s[MENU_LABEL_MAX + 4];

	snprintf(s, sizeof(s), " %s ", label);
	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = ' ';
	if (menu_has_any(s, skip))
		return MENU_OPT_SKIP;
	if (menu_has_any(s, deny))
		return MENU_OPT_DENY;
	if (menu_has_any(s, confirm))
		return MENU_OPT_CONFIRM;
	if (menu_has_any(s, back))
		return MENU_OPT_BACK;
	if (menu_has_any(s, repeat))
		return MENU_OPT_REPEAT;
	if (menu_has_any(s, menu_agent_words))
		return MENU_OPT_AGENT;
	if (menu_has_any(s, menu_defer_words))
		return MENU_OPT_DEFER;
	if (menu_has_any(s, menu_other_words))
		return MENU_OPT_OTHER;
	return MENU_OPT_PLAIN;
}

const char *
menu_opt_kind_name(enum menu_opt_kind k)
{
	static const char *const names[] = {
	    [MENU_OPT_PLAIN] = "option",   [MENU_OPT_AGENT] = "agent",
	    [MENU_OPT_OTHER] = "other",	   [MENU_OPT_REPEAT] = "repeat",
	    [MENU_OPT_BACK] = "back",	   [MENU_OPT_SKIP] = "skip",
	    [MENU_OPT_CONFIRM] = "confirm", [MENU_OPT_DENY] = "deny",
	    [MENU_OPT_DEFER] = "defer",
	};
	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void
menu_add(struct menu *m, const char *digit, const char *label, int say)
{
	struct menu_opt *o;

	if (m->nopts >= MENU_OPT_MAX)
		return;
	/* The same digit twice (a menu read twice): keep the first. */
	if (digit[0])
		for (size_t i = 0; i < m->nopts; i++)
			if (strcmp(m->opts[i].digit, digit) == 0)
				return;
	o = &m->opts[m->nopts++];
	snprintf(o->digit, sizeof(o->digit), "%s", digit);
	snprintf(o->label, sizeof(o->label), "%s", label);
	o->kind = menu_kind(label);
	o->say = say;
}

/* Index of the first "." in [s, e), or e. */
static size_t
menu_stop_at(const struct menu_toks *t, size_t s, size_t e)
{
	for (size_t i = s; i < e; i++)
		if (strcmp(t->w[i], ".") == 0)
			return i;
	return e;
}

/* One past the last "." in [s, e), or s. */
static size_t
menu_start_after(const struct menu_toks *t, size_t s, size_t e)
{
	size_t r = s;

	for (size_t i = s; i < e; i++)
		if (strcmp(t->w[i], ".") == 0)
			r = i + 1;
	return r;
}

/* "say billing or press 1": the option can be said too. */
static int
menu_says(const struct menu_toks *t, size_t s, size_t e)
{
	for (size_t i = s; i < e; i++)
		if (strcmp(t->w[i], "say") == 0)
			return 1;
	return 0;
}

static int menu_intro_at(const struct menu_toks *t, size_t i);

/* Whether [s, e) holds a label: an introducer ("for", "to pay", "if
 * you") with content after it, not "thank you for calling". */
static int
menu_has_label(const struct menu_toks *t, size_t s, size_t e)
{
	for (size_t i = s; i < e; i++)
		if (menu_intro_at(t, i) && menu_content(t, i + 1, e) > 0)
			return 1;
	return 0;
}

/* The key number of an anchor, or -1 (lost, star, pound, "10"). */
static int
menu_anchor_num(const struct menu_anchor *a)
{
	if (a->lost || strlen(a->digit) != 1 ||
	    !isdigit((unsigned char)a->digit[0]))
		return -1;
	return a->digit[0] - '0';
}

/*
 * Menus count up: a lost key between N and N + 2 is N + 1, a lost first
 * key before 2 is 1.  Any other lost key stays lost (the last one after
 * 1, 2 may be 3 as well as 0 or 9).
 */
static void
menu_count_lost(struct menu_anchor *a, size_t na)
{
	for (size_t i = 0; i < na; i++) {
		int p = i > 0 ? menu_anchor_num(&a[i - 1]) : -1;
		int q = i + 1 < na ? menu_anchor_num(&a[i + 1]) : -1;
		int d = -1;

		if (!a[i].lost)
			continue;
		if (p >= 0 && q == p + 2)
			d = p + 1;
		else if (i == 0 && q == 2)
			d = 1;
		if (d < 0 || d > 9)
			continue;
		a[i].digit[0] = (char)('0' + d);
		a[i].digit[1] = '\0';
		a[i].lost = 0;
	}
}

/*
 * A label [s, e) that holds two options, where the key of one was lost
 * with its verb ("for billing press 1 for sales for support press 3"):
 * the start of the second clause, or 0 when there is one.
 */
static size_t
menu_split_at(const struct menu_toks *t, size_t s, size_t e, int last)
{
	size_t k = 0;

	for (size_t i = s + 1; i < e; i++)
		if (menu_intro_at(t, i) && menu_content(t, s, i) > 0 &&
		    menu_content(t, i + 1, e) > 0) {
			k = i;
			if (!last)
				break;
		}
	return k;
}

static void
menu_add_opt(struct menu *m, const struct menu_anchor *a, const char *label,
	     int say, int unsure)
{
	size_t n = m->nopts;

	if (a->lost && label[0] == '\0')
		return;
	menu_add(m, a->lost ? "" : a->digit, label, say);
	if (m->nopts > n) {
		m->opts[n].lost = a->lost;
		m->opts[n].unsure = unsure || a->lost;
		if (a->lost)
			m->opts[n].say = 0;
	}
}

/*
 * Reads the options around the anchors.  The whole prompt decides which
 * side of its key a label sits on, the same for every option: "press 0
 * for an operator" after the last key says "press N for X"; a label before
 * the first key ("for billing press 1") with nothing after the last says
 * "for X press N".  With sentence punctuation each sentence may say
 * otherwise.  A key lost by the recogniser keeps its label (the labels
 * around it do not shift) and is counted from its neighbours, or left
 * unknown (menu_opt.lost).  Returns how many options were read after
 * their key.
 */
static int
menu_options(const struct menu_toks *t, struct menu *m)
{
	struct menu_anchor a[MENU_OPT_MAX];
	size_t na = menu_anchors(t, a, MENU_OPT_MAX);
	int after_style = 0, end_after = 0, begin_before, unsure = 0;
	char label[MENU_LABEL_MAX];
	int nafter = 0;

	if (na == 0)
		return 0;
	menu_count_lost(a, na);
	/* The words after the last anchor: "press 0 for an operator". */
	{
		size_t s = a[na - 1].end;
		size_t e = menu_stop_at(t, s, t->n);
		while (s < e && strcmp(t->w[s], ",") == 0)
			s++;
		if (s < e && menu_in(t->w[s], menu_intro) &&
		    menu_content(t, s + 1, e) > 0)
			end_after = 1;
	}
	/* A label before the first anchor: "for billing press 1". */
	begin_before = menu_has_label(
	    t, menu_start_after(t, 0, a[0].start), a[0].start);
	if (end_after) {
		after_style = 1;
		/* Both ends read as labels, no sentence to tell: either
		 * reading may be right. */
		unsure = begin_before && !t->punct;
	} else if (a[na - 1].lost && a[na - 1].end >= t->n) {
		/* The transcript ends on a lost key: the start decides. */
		after_style = !begin_before;
	}
	for (size_t i = 0; i < na; i++) {
		size_t ps = i == 0 ? 0 : a[i - 1].end;
		size_t ne = i + 1 < na ? a[i + 1].start : t->n;
		size_t bs = menu_start_after(t, ps, a[i].start);
		size_t be = a[i].start;
		size_t as = a[i].end, ae = menu_stop_at(t, as, ne);
		int use_after = after_style;

		if (t->punct) {
			/* A sentence of its own says which side. */
			if (menu_content(t, bs, be) == 0 &&
			    menu_content(t, as, ae) > 0)
				use_after = 1;
			else if (menu_content(t, as, ae) == 0 &&
				 menu_content(t, bs, be) > 0)
				use_after = 0;
			else if (bs > ps && !after_style)
				use_after = 0;
		}
		if (use_after) {
			/* In "press 1 for X press 2 for Y" without
			 * punctuation, X runs up to the next anchor.  A gap
			 * to the next key ("press 1 for X for Y press 3")
			 * is the lost option between. */
			int d = menu_anchor_num(&a[i]);
			size_t k = 0;
			if (d >= 0 && d <= 7 && i + 1 < na &&
			    menu_anchor_num(&a[i + 1]) == d + 2 &&
			    ae == ne)
				k = menu_split_at(t, as, ae, 0);
			if (k > 0) {
				struct menu_anchor g = a[i];
				menu_label(t, as, k, label, sizeof(label));
				menu_add_opt(m, &a[i], label,
					     menu_says(t, as, k), 1);
				g.digit[0] = (char)('0' + d + 1);
				g.digit[1] = '\0';
				menu_label(t, k, ae, label, sizeof(label));
				menu_add_opt(m, &g, label,
					     menu_says(t, k, ae), 1);
				nafter++;
				continue;
			}
			menu_label(t, as, ae, label, sizeof(label));
			bs = as;
			be = ae;
			nafter++;
		} else {
			int d = menu_anchor_num(&a[i]);
			size_t k = 0;
			if (i == 0 && !t->punct)
				bs = menu_first_label_start(t, bs, be);
			if (d >= 1 && i > 0 &&
			    menu_anchor_num(&a[i - 1]) == d - 2 && bs == ps)
				k = menu_split_at(t, bs, be, 1);
			if (k > 0) {
				struct menu_anchor g = a[i];
				g.digit[0] = (char)('0' + d - 1);
				g.digit[1] = '\0';
				menu_label(t, bs, k, label, sizeof(label));
				menu_add_opt(m, &g, label,
					     menu_says(t, bs, k), 1);
				menu_label(t, k, be, label, sizeof(label));
				menu_add_opt(m, &a[i], label,
					     menu_says(t, k, be), 1);
				continue;
			}
			menu_label(t, bs, be, label, sizeof(label));
		}
		menu_add_opt(m, &a[i], label, menu_says(t, bs, be), unsure);
	}
	return nafter;
}

/*
 * Options whose verb the recogniser lost: "for billing and payments ...
 * two" with "press" heard as "to", "not" or nothing.  A clause starts at an
 * introducer ("for X", "if you X", "to speak ..."); its option is the first
 * number word after some content.  A number that counts something ("two
 * minutes", "the last four digits") or belongs to a number being read out
 * ("nine one one") is no key.  Then a clause with no number between two
 * clauses numbered N and N + 2 is N + 1: menus count up.  Only digits the
 * strict reading did not find are added.
 */
static int
menu_intro_at(const struct menu_toks *t, size_t i)
{
	static const char *const not_after_for[] = {
	    "calling", "choosing", "holding", "waiting", "your", "using",
	    "being", "us", "the", "a", "more", "help", "example", NULL};
	static const char *const to_verbs[] = {
	    "speak", "talk", "reach", "report", "make", "pay", "check",
	    "hear", "start", "stop", "cancel", "schedule", "change",
	    "update", "file", "request", "order", "dispute", "open",
	    "close", "activate", "book", "confirm", "get", "leave", "set",
	    "track", "return", "renew", "refill", "add", "transfer", NULL};
	const char *w = t->w[i];
	const char *nx = i + 1 < t->n ? t->w[i + 1] : "";

	if (strcmp(w, "for") == 0)
		return !(i > 0 && strcmp(t->w[i - 1], "thanks") == 0) &&
		       !(i > 1 && strcmp(t->w[i - 1], "you") == 0 &&
			 strcmp(t->w[i - 2], "thank") == 0) &&
		       !menu_in(nx, not_after_for) && !menu_is_sep(nx) &&
		       menu_digit(nx, 0) == NULL;
	if (strcmp(w, "if") == 0)
		return strcmp(nx, "you") == 0 || strcmp(nx, "you're") == 0 ||
		       strcmp(nx, "your") == 0;
	if (strcmp(w, "to") == 0)
		return menu_in(nx, to_verbs);
	return 0;
}

/* A number word at i that can be a key pressed (not a count, not a
 * number read out). */
static const char *
menu_loose_digit(const struct menu_toks *t, size_t i)
{
	static const char *const counts[] = {
	    "minute", "minutes", "second", "seconds", "hour", "hours", "day",
	    "days", "week", "weeks", "month", "months", "year", "years",
	    "dollar", "dollars", "cents", "percent", "am", "pm", "o'clock",
	    "business", "calls", "callers", "people", "digits", "digit",
	    "times", "hundred", "thousand", "ahead", "in", "of", "or", NULL};
	static const char *const before[] = {"last", "is", "are", "of", "at",
					     "about", "than", "within",
					     "approximately", "first",
					     "number", "until", NULL};
	const char *d;

	if (strcmp(t->w[i], "star") == 0 || strcmp(t->w[i], "pound") == 0)
		return NULL;
	d = menu_digit(t->w[i], 0);
	if (d == NULL || strlen(d) != 1)
		return NULL;
	if (i + 1 < t->n && (menu_digit(t->w[i + 1], 0) ||
			     menu_in(t->w[i + 1], counts)))
		return NULL;
	if (i > 0 && (menu_digit(t->w[i - 1], 0) ||
		      menu_in(t->w[i - 1], before)))
		return NULL;
	return d;
}

static int
menu_has_digit(const struct menu *m, const char *d)
{
	for (size_t i = 0; i < m->nopts; i++)
		if (strcmp(m->opts[i].digit, d) == 0)
			return 1;
	return 0;
}

#define MENU_CLAUSE_MAX 32
#define MENU_LOOSE_LABEL 8 /* words of a label at most */

static void
menu_loose_options(const struct menu_toks *t, struct menu *m)
{
	struct menu_anchor a[MENU_OPT_MAX];
	size_t na = menu_anchors(t, a, MENU_OPT_MAX);
	struct {
		size_t s, e;	/* the label's tokens */
		char digit[4];	/* "" when none was heard */
		int strict;
	} c[MENU_CLAUSE_MAX];
	size_t nc = 0;
	char label[MENU_LABEL_MAX];

	/* "one for billing, two for payments": the key comes first, which
	 * this reading does not know. */
	for (size_t i = 0; i + 1 < t->n; i++) {
		if (menu_intro_at(t, i))
			break;
		if (menu_loose_digit(t, i) && menu_intro_at(t, i + 1))
			return;
	}
	for (size_t i = 0; i < t->n && nc < MENU_CLAUSE_MAX; i++) {
		size_t e, k;
		int in_anchor = 0;

		for (size_t x = 0; x < na; x++)
			if (i >= a[x].start && i < a[x].end)
				in_anchor = 1;
		if (in_anchor || !menu_intro_at(t, i))
			continue;
		/* The clause: up to the next introducer or sentence end. */
		for (e = i + 1; e < t->n && strcmp(t->w[e], ".") != 0 &&
				!menu_intro_at(t, e);
		     e++)
			;
		c[nc].s = strcmp(t->w[i], "if") == 0 ? i : i + 1;
		c[nc].e = e;
		c[nc].digit[0] = '\0';
		c[nc].strict = 0;
		for (k = i + 1; k < e; k++) {
			const char *d = NULL;
			for (size_t x = 0; x < na; x++)
				if (k == a[x].start) {
					d = a[x].digit;
					c[nc].strict = 1;
				}
			if (d == NULL && k > i + 1)
				d = menu_loose_digit(t, k);
			if (d != NULL) {
				snprintf(c[nc].digit, sizeof(c[nc].digit), "%s",
					 d);
				c[nc].e = k;
				break;
			}
		}
		if (c[nc].e > c[nc].s + MENU_LOOSE_LABEL && !c[nc].digit[0])
			c[nc].e = c[nc].s + MENU_LOOSE_LABEL;
		nc++;
		i = e - 1;
	}
	/* Menus count up: fill a gap of one. */
	for (size_t k = 1; k + 1 < nc; k++) {
		const char *p = c[k - 1].digit, *q = c[k + 1].digit;
		if (c[k].digit[0] || strlen(p) != 1 || strlen(q) != 1 ||
		    !isdigit((unsigned char)p[0]) || q[0] != p[0] + 2)
			continue;
		snprintf(c[k].digit, sizeof(c[k].digit), "%c", p[0] + 1);
	}
	for (size_t k = 0; k < nc; k++) {
		if (!c[k].digit[0] || c[k].strict ||
		    menu_has_digit(m, c[k].digit))
			continue;
		if (c[k].e > c[k].s + MENU_LOOSE_LABEL)
			c[k].s = c[k].e - MENU_LOOSE_LABEL;
		if (menu_label(t, c[k].s, c[k].e, label, sizeof(label)) > 0)
			menu_add(m, c[k].digit, label, 0);
	}
}

/*
 * "You can say billing, payments, or technical support": the spoken
 * options, when a "say" is not part of a press option nor a data prompt.
 */
static void
menu_say_options(const struct menu_toks *t, struct menu *m)
{
	static const char *const not_list[] = {"or", "your", "it", "that",
					       "the", "yes", "no", "so", NULL};
	char label[MENU_LABEL_MAX];

	for (size_t i = 0; i < t->n; i++) {
		size_t e, s;
		if (strcmp(t->w[i], "say") != 0 || i + 1 >= t->n ||
		    menu_in(t->w[i + 1], not_list))
			continue;
		e = menu_stop_at(t, i + 1, t->n);
		/* Not when a press anchor follows in the sentence. */
		{
			int anchor = 0;
			for (size_t j = i + 1; j < e; j++)
				if (menu_in(t->w[j], menu_verbs_loose) ||
				    menu_in(t->w[j], menu_verbs_strict))
					anchor = 1;
			if (anchor)
				continue;
		}
		s = i + 1;
		for (size_t j = s; j <= e; j++) {
			if (j < e && strcmp(t->w[j], ",") != 0 &&
			    strcmp(t->w[j], "or") != 0 &&
			    strcmp(t->w[j], "and") != 0)
				continue;
			if (j > s && menu_label(t, s, j, label,
						sizeof(label)) > 0)
				menu_add(m, "", label, 1);
			s = j + 1;
		}
		i = e;
	}
}

/* ---- prompts ---- */

static const struct {
	const char *phrase;
	const char *key;
} menu_data_phrases[] = {
    {"account number", "account_number"},
    {"account id", "account_number"},
    {"customer number", "account_number"},
    {"membership number", "member_id"},
    {"member number", "member_id"},
    {"member id", "member_id"},
    {"policy number", "policy_number"},
    {"zip code", "zip"},
    {"zip", "zip"},
    {"postal code", "zip"},
    {"date of birth", "dob"},
    {"birth date", "dob"},
    {"birthdate", "dob"},
    {"birthday", "dob"},
    {"social security", "ssn_last4"},
    {"ssn", "ssn_last4"},
    {"social", "ssn_last4"},
    {"phone number", "phone"},
    {"telephone number", "phone"},
    {"mobile number", "phone"},
    {"pin number", "pin"},
    {"pin", "pin"},
    {"passcode", "pin"},
    {"pass code", "pin"},
    {"security code", "pin"},
    {"card number", "card_number"},
    {"order number", "order_number"},
    {"claim number", "claim_number"},
    {"confirmation number", "confirmation_number"},
    {"tracking number", "tracking_number"},
    {"case number", "case_number"},
    {"ticket number", "case_number"},
};

static const char *const menu_ask_verbs[] = {
    "enter", "key", "type", "input", "provide", "punch", "say", "tell",
    "give", "is", "keypad", "entering", NULL};

static void
menu_data_prompt(const struct menu_toks *t, struct menu *m)
{
	for (size_t i = 0; i < t->n && m->data_key[0] == '\0'; i++) {
		for (size_t k = 0;
		     k < sizeof(menu_data_phrases) / sizeof(menu_data_phrases[0]);
		     k++) {
			char ph[64];
			size_t nw = 1, j;
			int ask = 0, anchor = 0, last4 = 0;

			snprintf(ph, sizeof(ph), "%s", menu_data_phrases[k].phrase);
			/* Match the phrase's words at i. */
			{
				char *save = NULL, *w;
				j = i;
				nw = 0;
				for (w = strtok_r(ph, " ", &save); w;
				     w = strtok_r(NULL, " ", &save)) {
					if (j >= t->n || strcmp(t->w[j], w) != 0)
						break;
					j++;
					nw++;
				}
				if (w != NULL)
					continue;
			}
			/* A verb that asks, a few words before. */
			for (size_t b = i > 7 ? i - 7 : 0; b < i; b++) {
				if (strcmp(t->w[b], ".") == 0) {
					ask = 0;
					last4 = 0;
					continue;
				}
				if (menu_in(t->w[b], menu_ask_verbs))
					ask = 1;
				if ((strcmp(t->w[b], "four") == 0 ||
				     strcmp(t->w[b], "4") == 0) &&
				    b > 0 && strcmp(t->w[b - 1], "last") == 0)
					last4 = 1;
			}
			if (!ask)
				continue;
			/* "to enter your account number, press 1" is an
			 * option, not the prompt. */
			for (size_t f = j; f < t->n && f < j + 6; f++) {
				if (strcmp(t->w[f], ".") == 0)
					break;
				if (menu_in(t->w[f], menu_verbs_loose) &&
				    f + 1 < t->n && menu_digit(t->w[f + 1], 1))
					anchor = 1;
			}
			if (anchor)
				continue;
			snprintf(m->data_key, sizeof(m->data_key), "%s",
				 menu_data_phrases[k].key);
			if (last4 && strcmp(m->data_key, "card_number") == 0)
				snprintf(m->data_key, sizeof(m->data_key),
					 "card_last4");
			if (last4 && strcmp(m->data_key, "phone") == 0)
				snprintf(m->data_key, sizeof(m->data_key),
					 "phone_last4");
			/* "followed by the pound key", "then press pound" */
			for (size_t f = j; f < t->n && f < j + 14; f++)
				if (strcmp(t->w[f], "pound") == 0 ||
				    strcmp(t->w[f], "hash") == 0 ||
				    (strcmp(t->w[f], "number") == 0 &&
				     f + 1 < t->n &&
				     strcmp(t->w[f + 1], "sign") == 0))
					m->data_pound = 1;
			break;
		}
	}
}

static int
menu_has_digit_opt(const struct menu *m)
{
	for (size_t i = 0; i < m->nopts; i++)
		if (m->opts[i].digit[0])
			return 1;
	return 0;
}

void
menu_parse(const char *text, struct menu *m)
{
	static const char *const speech[] = {
	    "in a few words", "few words", "tell me why", "why you're calling",
	    "why you are calling", "reason for your call",
	    "reason for calling", "reason you're calling",
	    "what you're calling about", "what you are calling about",
	    "what are you calling about", "how can i help",
	    "how may i help", "what can i help", "what can i do for you",
	    "briefly describe", "briefly tell", "describe the reason",
	    "in your own words", "tell me what you're calling",
	    "tell me what you need", "how can we help", "how may we help",
	    "what can we help", "tell us why", "briefly state",
	    "state the reason", "tell me briefly", NULL};
	/* Heard in noisy transcripts of speech prompts, and in menus too:
	 * only when no key is offered. */
	static const char *const speech_weak[] = {"are calling",
	    "you're calling", "calling about", "own words", "what brings you",
	    "help you with", "help you today", "can i assist", "may i assist",
	    "can we assist", "say what you", "tell me what", "tell me how",
	    "tell me the reason", "tell us what", "just say", "in just a few",
	    "describe your", "describe what", "words why", NULL};
	static const char *const hold[] = {
	    "please hold", "continue to hold", "stay on the line",
	    "remain on the line", "your call is important",
	    "transferring", "transfer your call", "connecting you",
	    "connect you", "next available", "wait time", "waiting time",
	    "currently assisting", "currently busy", "will be with you",
	    "in the order", "please wait", "one moment", "hold time",
	    "experiencing high", "higher than normal", "all of our",
	    "on hold", NULL};
	static struct menu_toks t;
	size_t o = 0;

	memset(m, 0, sizeof(*m));
	if (text == NULL)
		return;
	menu_tokenize(text, &t);
	m->text[0] = ' ';
	o = 1;
	for (size_t i = 0; i < t.n; i++) {
		int l;
		if (menu_is_sep(t.w[i]))
			continue;
		l = snprintf(m->text + o, sizeof(m->text) - o, "%s ", t.w[i]);
		if (l < 0 || (size_t)l >= sizeof(m->text) - o)
			break;
		o += (size_t)l;
	}
	if (menu_options(&t, m) == 0)
		menu_loose_options(&t, m);
	menu_say_options(&t, m);
	menu_data_prompt(&t, m);
	m->speech = menu_has_any(m->text, speech);
	m->speech_hint = menu_has_any(m->text, speech_weak);
	if (!m->speech && !menu_has_digit_opt(m) && m->speech_hint)
		m->speech = 1;
	if (menu_has_any(m->text, hold)) {
		if ((menu_has(m->text, "stay on the line") ||
		     menu_has(m->text, "remain on the line") ||
		     menu_has(m->text, "hold")) &&
		    (menu_has_any(m->text, menu_agent_words) ||
		     m->nopts > 0))
			m->wait_agent = 1;
		if (m->nopts == 0 && m->data_key[0] == '\0' && !m->speech)
			m->hold = 1;
	}
	/* Trim the leading and trailing blanks of text. */
	{
		size_t s = 0, l = strlen(m->text);
		while (m->text[s] == ' ')
			s++;
		while (l > s && m->text[l - 1] == ' ')
			l--;
		memmove(m->text, m->text + s, l - s);
		m->text[l - s] = '\0';
	}
}

json_object *
menu_opts_json(const struct menu *m)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < m->nopts; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(
		    o, "digit",
		    m->opts[i].digit[0]
			? json_object_new_string(m->opts[i].digit)
			: NULL);
		json_object_object_add(o, "label",
				       json_object_new_string(m->opts[i].label));
		json_object_object_add(
		    o, "kind",
		    json_object_new_string(menu_opt_kind_name(m->opts[i].kind)));
		if (m->opts[i].say)
			json_object_object_add(o, "say",
					       json_object_new_boolean(1));
		if (m->opts[i].lost)
			json_object_object_add(o, "lost",
					       json_object_new_boolean(1));
		else if (m->opts[i].unsure)
			json_object_object_add(o, "unsure",
					       json_object_new_boolean(1));
		json_object_array_add(a, o);
	}
	return a;
}

/* ---- matching ---- */

/*
 * Telephony idioms WordNet does not know (the meaning of everything else
 * comes from WordNet, sense.c): in a phone menu a "representative", an
 * "operator" and "someone" are the same person; to "disconnect" a service
 * is to cancel it; an internet that is "not working" or a "modem" is a
 * matter for technical support; "no power" is an outage; a charge is
 * "disputed" with billing; a mortgage is one of the "loans".  A word (or
 * phrase) of an idiom matches the idiom's other words; the words of a
 * phrase found ("not working") count only through it.
 */
static const struct menu_idiom {
	const char *name;
	const char *words[24];
} menu_idioms[] = {
    {"agent", {"agent", "representative", "operator", "associate",
	       "person", "human", "someone", "somebody", "specialist", "rep",
	       "advisor", "live", "staff", "attendant", "receptionist",
	       "banker", "customer service", "customer care",
	       "member services", "team member", NULL}},
    {"tech", {"technical", "tech", "troubleshoot", "troubleshooting",
	      "repair", "broken", "not working", "internet", "wifi", "modem",
	      "router", "connection", "offline", "slow", "cable", "tv",
	      "equipment", "device", "error", NULL}},
    {"cancel", {"cancel", "cancellation", "disconnect", "terminate",
		"termination", "stop service", "end service", NULL}},
    {"outage", {"outage", "no power", "power out", "lights out",
		"blackout", "power failure", "power", "electricity", NULL}},
    {"billing", {"billing", "bill", "dispute", "overcharged",
		 "double charged", NULL}},
    {"loans", {"loan", "mortgage", "lending", "financing", "refinance",
	       NULL}},
};

#define MENU_NIDIOMS (sizeof(menu_idioms) / sizeof(menu_idioms[0]))

/*
 * The scores of menu_match(), per intent word, by what joins it to the
 * nearest label word: the same word (or stem), the same telephony idiom,
 * or WordNet (sense_similarity(): 0.9 for synonyms down to 0.35 three
 * links apart).  Measured on the dev menus of tests/unit/test_menu.c,
 * test_nav.c and tests/explore/cases.tsv.
 */
#define MENU_SCORE_SAME 1.0
#define MENU_SCORE_IDIOM 0.8
#define MENU_SENSE_MIN 0.5 /* a WordNet link weaker than this says nothing */



/* Weights of words common to every menu. */
static double
menu_word_weight(const char *w)
{
	static const struct {
		const char *w;
		double v;
	} t[] = {
	    {"account", 0.5}, {"service", 0.3}, {"services", 0.3},
	    {"customer", 0.3}, {"general", 0.3}, {"new", 0.5},
	    {"support", 0.6}, {"speak", 0.5}, {"talk", 0.5},
	    {"existing", 0.3}, {"current", 0.3}, {"department", 0.2},
	    {"phone", 0.5}, {"number", 0.3}, {"card", 0.9},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(w, t[i].w) == 0)
			return t[i].v;
	return 1.0;
}

/* A crude stem: plurals and -ing/-ed, the same on both sides. */
static void
menu_stem(const char *w, char *out, size_t outlen)
{
	size_t l;

	snprintf(out, outlen, "%s", w);
	l = strlen(out);
	if (l > 2 && strcmp(out + l - 2, "'s") == 0)
		out[l -= 2] = '\0';
	if (l > 5 && strcmp(out + l - 3, "ing") == 0)
		out[l -= 3] = '\0';
	else if (l > 4 && strcmp(out + l - 2, "ed") == 0)
		out[l -= 2] = '\0';
	else if (l > 4 && strcmp(out + l - 3, "ies") == 0) {
		out[l - 3] = 'y';
		out[l -= 2] = '\0';
	} else if (l > 3 && out[l - 1] == 's' && out[l - 2] != 's')
		out[--l] = '\0';
	if (l > 3 && out[l - 1] == 'e')
		out[--l] = '\0';
}

struct menu_bag {
	char w[64][MENU_WORD_MAX];	  /* stems of the content words */
	char raw[64][MENU_WORD_MAX];	  /* the words themselves */
	size_t n;
	unsigned char idiom[MENU_NIDIOMS]; /* present in the text */
	unsigned char idiom_word[MENU_NIDIOMS]; /* by a word, not a phrase */
	unsigned char covered[64]; /* the word is part of an idiom phrase */
};

/* Whether stem s (of a word) is a word of idiom c. */
static int
menu_in_idiom(size_t c, const char *stem)
{
	char st[MENU_WORD_MAX];

	for (size_t k = 0; menu_idioms[c].words[k]; k++) {
		if (strchr(menu_idioms[c].words[k], ' '))
			continue;
		menu_stem(menu_idioms[c].words[k], st, sizeof(st));
		if (strcmp(st, stem) == 0)
			return 1;
	}
	return 0;
}

static void
menu_bag_make(const char *text, struct menu_bag *b)
{
	static struct menu_toks t;
	char s[MENU_TEXT_MAX + 2];
	size_t o = 1;

	memset(b, 0, sizeof(*b));
	menu_tokenize(text, &t);
	s[0] = ' ';
	s[1] = '\0';
	for (size_t i = 0; i < t.n; i++) {
		int l;
		if (menu_is_sep(t.w[i]))
			continue;
		l = snprintf(s + o, sizeof(s) - o, "%s ", t.w[i]);
		if (l > 0 && (size_t)l < sizeof(s) - o)
			o += (size_t)l;
		if (menu_in(t.w[i], menu_stop) || b->n >= 64)
			continue;
		menu_stem(t.w[i], b->w[b->n], sizeof(b->w[b->n]));
		snprintf(b->raw[b->n], sizeof(b->raw[b->n]), "%s", t.w[i]);
		b->n++;
	}
	for (size_t c = 0; c < MENU_NIDIOMS; c++) {
		for (size_t k = 0; menu_idioms[c].words[k]; k++) {
			const char *ph = menu_idioms[c].words[k];
			if (!strchr(ph, ' ') || !menu_has(s, ph))
				continue;
			b->idiom[c] = 1;
			/* Its words mean the phrase, not themselves. */
			for (size_t i = 0; i < b->n; i++) {
				char p[MENU_LABEL_MAX];
				snprintf(p, sizeof(p), " %s ", ph);
				if (menu_has(p, b->raw[i]))
					b->covered[i] = 1;
			}
		}
		for (size_t i = 0; i < b->n; i++)
			if (!b->covered[i] && menu_in_idiom(c, b->w[i]))
				b->idiom[c] = b->idiom_word[c] = 1;
	}
}

/* How close intent word i of bi is to label word j of bl (0..1). */
static double
menu_word_match(const struct menu_bag *bi, size_t i, const struct menu_bag *bl,
		size_t j)
{
	double v;

	if (strcmp(bi->w[i], bl->w[j]) == 0)
		return MENU_SCORE_SAME;
	for (size_t c = 0; c < MENU_NIDIOMS; c++)
		if (menu_in_idiom(c, bi->w[i]) && menu_in_idiom(c, bl->w[j]))
			return MENU_SCORE_IDIOM;
	v = sense_similarity(bi->raw[i], bl->raw[j]);
	return v >= MENU_SENSE_MIN ? v : 0;
}

double
menu_match(const char *intent, const char *label)
{
	static struct menu_bag bi, bl;
	double score = 0;

	if (intent == NULL || label == NULL)
		return 0;
	menu_bag_make(intent, &bi);
	menu_bag_make(label, &bl);
	for (size_t i = 0; i < bi.n; i++) {
		double best = 0, wt = menu_word_weight(bi.raw[i]);
		int dup = 0;

		for (size_t k = 0; k < i; k++)
			if (strcmp(bi.w[k], bi.w[i]) == 0)
				dup = 1;
		if (dup || bi.covered[i])
			continue;
		for (size_t j = 0; j < bl.n && best < MENU_SCORE_SAME; j++) {
			double v = menu_word_match(&bi, i, &bl, j);
			if (v > best)
				best = v;
		}
		score += best * wt;
	}
	/* Idioms only a phrase names ("customer service", "not
	 * working"). */
	for (size_t c = 0; c < MENU_NIDIOMS; c++)
		if (bi.idiom[c] && bl.idiom[c] &&
		    (!bi.idiom_word[c] || !bl.idiom_word[c]))
			score += MENU_SCORE_IDIOM;
	return score;
}

double
menu_similarity(const struct menu *a, const struct menu *b)
{
	static struct menu_bag ba, bb;
	size_t common = 0, uni;
	double words, digits = -1;

	menu_bag_make(a->text, &ba);
	menu_bag_make(b->text, &bb);
	for (size_t i = 0; i < ba.n; i++) {
		int dup = 0;
		for (size_t k = 0; k < i; k++)
			if (strcmp(ba.w[k], ba.w[i]) == 0)
				dup = 1;
		if (dup)
			continue;
		for (size_t j = 0; j < bb.n; j++)
			if (strcmp(ba.w[i], bb.w[j]) == 0) {
				common++;
				break;
			}
	}
	uni = ba.n + bb.n - common;
	words = uni ? (double)common / (double)uni : 0;
	if (a->nopts > 0 && b->nopts > 0) {
		size_t same = 0, n = 0;
		for (size_t i = 0; i < a->nopts; i++) {
			if (!a->opts[i].digit[0])
				continue;
			n++;
			for (size_t j = 0; j < b->nopts; j++)
				if (strcmp(a->opts[i].digit, b->opts[j].digit) ==
				    0) {
					same++;
					break;
				}
		}
		for (size_t j = 0; j < b->nopts; j++)
			if (b->opts[j].digit[0])
				n++;
		digits = n ? 2.0 * (double)same / (double)n : 0;
	}
	if (digits < 0)
		return words;
	/* The same keys and some of the same words. */
	return 0.4 * digits + 0.6 * (words * 1.5 > 1 ? 1 : words * 1.5);
}

/* ---- info values ---- */

static const struct {
	const char *key;
	const char *syn[10];
} menu_info_keys[] = {
    {"account_number", {"account_number", "account", "acct", "account_no",
			"accountnumber", "account_id", "customer_number",
			NULL}},
    {"zip", {"zip", "zip_code", "zipcode", "postal_code", "postcode",
	     "postal", NULL}},
    {"dob", {"dob", "date_of_birth", "birth_date", "birthdate", "birthday",
	     NULL}},
    {"ssn_last4", {"ssn_last4", "ssn4", "last4_ssn", "ssn_last_four",
		   "social_last4", "ssn", "social_security_number", NULL}},
    {"phone", {"phone", "phone_number", "callback_number", "telephone",
	       "mobile", "cell", NULL}},
    {"phone_last4", {"phone_last4", "phone", "phone_number", NULL}},
    {"pin", {"pin", "passcode", "pin_number", "security_code", NULL}},
    {"card_number", {"card_number", "card", "credit_card", NULL}},
    {"card_last4", {"card_last4", "card_last_four", "last4", "card_number",
		    "card", NULL}},
    {"member_id", {"member_id", "member_number", "membership_number",
		   "member", NULL}},
    {"policy_number", {"policy_number", "policy", "policy_no", NULL}},
    {"order_number", {"order_number", "order", "order_id", NULL}},
    {"claim_number", {"claim_number", "claim", "claim_id", NULL}},
    {"confirmation_number", {"confirmation_number", "confirmation",
			     NULL}},
    {"tracking_number", {"tracking_number", "tracking", NULL}},
    {"case_number", {"case_number", "case", "ticket", "ticket_number",
		     NULL}},
};

/* A date (YYYY-MM-DD, MM/DD/YYYY, or digits) as MMDDYYYY. */
static int
menu_date_digits(const char *v, char *out, size_t outlen)
{
	int a, b, c;
	char tail;

	if (sscanf(v, "%d-%d-%d%c", &a, &b, &c, &tail) == 3 && a > 31)
		return snprintf(out, outlen, "%02d%02d%04d", b, c, a) < 0;
	if (sscanf(v, "%d/%d/%d%c", &a, &b, &c, &tail) == 3 && c > 31)
		return snprintf(out, outlen, "%02d%02d%04d", a, b, c) < 0;
	return 1;
}

int
menu_info_value(json_object *info, const char *key, char *out,
		size_t outlen, char *used, size_t usedlen)
{
	const char *v = NULL, *k = NULL;
	char digits[80];
	size_t n = 0;

	if (out && outlen)
		out[0] = '\0';
	if (info == NULL || !json_object_is_type(info, json_type_object))
		return -ENOENT;
	for (size_t i = 0;
	     i < sizeof(menu_info_keys) / sizeof(menu_info_keys[0]) && !v; i++) {
		if (strcmp(menu_info_keys[i].key, key) != 0)
			continue;
		for (size_t s = 0; menu_info_keys[i].syn[s] && !v; s++) {
			json_object *o;
			if (!json_object_object_get_ex(
				info, menu_info_keys[i].syn[s], &o) ||
			    json_object_is_type(o, json_type_null))
				continue;
			v = json_object_get_string(o);
			k = menu_info_keys[i].syn[s];
		}
	}
	if (v == NULL) {
		json_object *o;
		if (json_object_object_get_ex(info, key, &o) &&
		    !json_object_is_type(o, json_type_null)) {
			v = json_object_get_string(o);
			k = key;
		}
	}
	if (v == NULL || v[0] == '\0')
		return -ENOENT;
	if (strcmp(key, "dob") == 0 &&
	    menu_date_digits(v, digits, sizeof(digits)) == 0) {
		n = strlen(digits);
	} else {
		for (const char *p = v; *p && n + 1 < sizeof(digits); p++)
			if (isdigit((unsigned char)*p) || *p == '*')
				digits[n++] = *p;
		digits[n] = '\0';
	}
	if (n == 0)
		return -ENOENT;
	if (strstr(key, "last4") && n > 4)
		memmove(digits, digits + n - 4, 5);
	snprintf(out, outlen, "%s", digits);
	if (used)
		snprintf(used, usedlen, "%s", k);
	return 0;
}
