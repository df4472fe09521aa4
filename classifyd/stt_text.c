/*
 * stt_text: what classifyd reads out of a transcript, with no audio and no
 * bus: the hold time a company announces (hold_eta) and the word error rate
 * used by "classifyd --wer".  Both work on normalised words (lower case,
 * digits spelled out), so "press 2", "Press two." and "PRESS TWO" match.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stt.h"

#define STT_WORD_MAX 64

static const char *const stt_ones[] = {
    "zero",    "one",     "two",       "three",    "four",
    "five",    "six",     "seven",     "eight",    "nine",
    "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
    "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const stt_tens[] = {"",	  "",	   "twenty",
				       "thirty",  "forty",  "fifty",
				       "sixty",	  "seventy", "eighty",
				       "ninety"};

/* ---- words ---- */

struct stt_wl {
	char **w;
	int n, cap;
};

static int
stt_wl_add(struct stt_wl *l, const char *s, size_t len)
{
	char *d;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		char **nw = realloc(l->w, (size_t)cap * sizeof(*nw));

		if (nw == NULL)
			return -ENOMEM;
		l->w = nw;
		l->cap = cap;
	}
	if ((d = strndup(s, len)) == NULL)
		return -ENOMEM;
	l->w[l->n++] = d;
	return 0;
}

static int
stt_wl_adds(struct stt_wl *l, const char *s)
{
	return stt_wl_add(l, s, strlen(s));
}

/* Spells v (0..9999) as words; longer digit strings digit by digit. */
static int
stt_wl_number(struct stt_wl *l, const char *digits, size_t len)
{
	long v;
	int r = 0;

	if (len > 4) {
		for (size_t i = 0; i < len && r == 0; i++)
			r = stt_wl_adds(l, stt_ones[digits[i] - '0']);
		return r;
	}
	v = strtol(strndupa(digits, len), NULL, 10);
	if (v >= 1000) {
		if ((r = stt_wl_adds(l, stt_ones[v / 1000])) < 0 ||
		    (r = stt_wl_adds(l, "thousand")) < 0)
			return r;
		v %= 1000;
		if (v == 0)
			return 0;
	}
	if (v >= 100) {
		if ((r = stt_wl_adds(l, stt_ones[v / 100])) < 0 ||
		    (r = stt_wl_adds(l, "hundred")) < 0)
			return r;
		v %= 100;
		if (v == 0)
			return 0;
	}
	if (v >= 20) {
		if ((r = stt_wl_adds(l, stt_tens[v / 10])) < 0)
			return r;
		v %= 10;
		if (v == 0)
			return 0;
	}
	return stt_wl_adds(l, stt_ones[v]);
}

int
stt_words(const char *text, char ***words)
{
	struct stt_wl l = {NULL, 0, 0};
	const char *p = text;
	char buf[STT_WORD_MAX];

	*words = NULL;
	while (*p != '\0') {
		size_t len = 0;
		int digits = 1;

		while (*p != '\0' && !isalnum((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		while (*p != '\0' &&
		       (isalnum((unsigned char)*p) ||
			(*p == '\'' && isalpha((unsigned char)p[1]) && len > 0))) {
			if (len + 1 < sizeof(buf))
				buf[len++] = (char)tolower((unsigned char)*p);
			if (!isdigit((unsigned char)*p))
				digits = 0;
			p++;
		}
		if ((digits ? stt_wl_number(&l, buf, len)
			    : stt_wl_add(&l, buf, len)) < 0) {
			stt_words_free(l.w, l.n);
			return -ENOMEM;
		}
	}
	*words = l.w;
	return l.n;
}

void
stt_words_free(char **words, int n)
{
	if (words == NULL)
		return;
	for (int i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

/* ---- word error rate ---- */

int
stt_wer_count(const char *ref, const char *hyp, int *nref)
{
	char **rw = NULL, **hw = NULL;
	int nr, nh, *prev = NULL, *cur = NULL, d = -ENOMEM;

	*nref = 0;
	if ((nr = stt_words(ref, &rw)) < 0)
		return nr;
	if ((nh = stt_words(hyp, &hw)) < 0)
		goto out;
	*nref = nr;
	prev = malloc((size_t)(nh + 1) * sizeof(*prev));
	cur = malloc((size_t)(nh + 1) * sizeof(*cur));
	if (prev == NULL || cur == NULL)
		goto out;
	for (int j = 0; j <= nh; j++)
		prev[j] = j;
	for (int i = 1; i <= nr; i++) {
		int *t;

		cur[0] = i;
		for (int j = 1; j <= nh; j++) {
			int sub = prev[j - 1] +
				  (strcmp(rw[i - 1], hw[j - 1]) != 0);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? sub : del;
			if (ins < cur[j])
				cur[j] = ins;
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	d = prev[nh];
out:
	free(prev);
	free(cur);
	stt_words_free(rw, nr);
	if (nh >= 0)
		stt_words_free(hw, nh);
	return d;
}

/* ---- hold time ---- */

/* The value of a number word, or -1. */
static int
stt_num_word(const char *w, int *is_scale)
{
	*is_scale = 0;
	for (int i = 0; i < 20; i++)
		if (strcmp(w, stt_ones[i]) == 0)
			return i;
	for (int i = 2; i < 10; i++)
		if (strcmp(w, stt_tens[i]) == 0)
			return i * 10;
	if (strcmp(w, "hundred") == 0) {
		*is_scale = 1;
		return 100;
	}
	return -1;
}

/*
 * The number spelled by words[from..to) ("one hundred and twenty",
 * "twenty five"), or -1 if they are not all number words.
 */
static int
stt_num_value(char **w, int from, int to)
{
	int total = 0, scale, v, any = 0;

	for (int i = from; i < to; i++) {
		if (strcmp(w[i], "and") == 0 && any)
			continue;
		if ((v = stt_num_word(w[i], &scale)) < 0)
			return -1;
		if (scale)
			total = (total == 0 ? 1 : total) * 100;
		else
			total += v;
		any = 1;
	}
	return any ? total : -1;
}

static int
stt_is_num(const char *w)
{
	int scale;

	return stt_num_word(w, &scale) >= 0;
}

/*
 * Words that make a duration a waiting time when they come shortly before
 * it ("estimated wait time is", "approximately", "less than") or right
 * after it ("a 15-minute wait"); "weight" is how the recogniser often hears
 * "wait".  Without one, "an hour outage" or "open 24 hours" is no wait.
 */
static const char *const stt_eta_cue[] = {
    "wait",	 "waiting", "weight",  "hold",	   "holding", "estimated",
    "estimate",	 "approximate", "approximately", "expected", "expect",
    "answered",	 "queue",   "about",   "around",   "roughly", "than",
    "under",	 "over",    "within",  "between",  "remaining", NULL};

#define ETA_CUE_BEFORE 6 /* words before the number looked at */
#define ETA_CUE_AFTER 2	 /* and after the unit */

static int stt_in(const char *w, const char *const *list);

/* Whether a wait cue is near the duration in words [start, end]. */
static int
stt_eta_cued(char **w, int n, int start, int end)
{
	for (int k = start - 1; k >= 0 && k >= start - ETA_CUE_BEFORE; k--)
		if (stt_in(w[k], stt_eta_cue))
			return 1;
	for (int k = end + 1; k < n && k <= end + ETA_CUE_AFTER; k++)
		if (stt_in(w[k], stt_eta_cue))
			return 1;
	return 0;
}

int
stt_eta_parse(const char *text, int *minutes)
{
	char **w = NULL;
	int n, found = 0;

	*minutes = 0;
	if (text == NULL || (n = stt_words(text, &w)) <= 0)
		return 0;
	for (int i = 0; i < n && !found; i++) {
		int unit, start, v;

		if (strcmp(w[i], "minute") == 0 || strcmp(w[i], "minutes") == 0 ||
		    strcmp(w[i], "mins") == 0 || strcmp(w[i], "min") == 0)
			unit = 1;
		else if (strcmp(w[i], "hour") == 0 || strcmp(w[i], "hours") == 0)
			unit = 60;
		else
			continue;
		/* "half an hour" */
		if (unit == 60 && i >= 2 && strcmp(w[i - 1], "an") == 0 &&
		    strcmp(w[i - 2], "half") == 0) {
			if (!stt_eta_cued(w, n, i - 2, i))
				continue;
			*minutes = 30;
			found = 1;
			break;
		}
		/* "a minute", "an hour" */
		if (i >= 1 &&
		    (strcmp(w[i - 1], "a") == 0 || strcmp(w[i - 1], "an") == 0)) {
			if (!stt_eta_cued(w, n, i - 1, i))
				continue;
			*minutes = unit;
			found = 1;
			break;
		}
		start = i;
		/* "and" only inside a number: "one hundred and twenty" */
		while (start > 0 && i - start < 8 &&
		       (stt_is_num(w[start - 1]) ||
			(strcmp(w[start - 1], "and") == 0 && start >= 2 &&
			 strcmp(w[start - 2], "hundred") == 0)))
			start--;
		if (start == i || (v = stt_num_value(w, start, i)) < 0)
			continue;
		if (v == 0 || v > 1000 || !stt_eta_cued(w, n, start, i))
			continue;
		*minutes = v * unit;
		found = 1;
	}
	stt_words_free(w, n);
	return found;
}

/* ---- menu options ---- */

/* Words that do not name an option ("for the billing department"). */
static const char *const stt_opt_stop[] = {
    "a",      "about", "again",	 "all",	  "an",	   "and",    "any",
    "are",    "be",    "calling", "can",  "for",   "if",     "i",
    "in",     "is",    "it",	 "like",  "may",   "me",     "my",
    "now",    "of",    "on",	 "or",	  "our",   "please", "regarding",
    "say",    "simply", "that",	 "the",	  "this",  "to",     "want",
    "with",   "would", "you",	 "you're", "your", "you'd",  "para",
    "el",     "la",    "key",	 "number", "numero", "time", NULL};

static int
stt_in(const char *w, const char *const *list)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

/* The key a word names, or 0. */
static char
stt_opt_key(const char *w)
{
	static const char *const keys[] = {"zero", "one", "two",   "three",
					   "four", "five", "six",   "seven",
					   "eight", "nine", NULL};

	for (int i = 0; keys[i] != NULL; i++)
		if (strcmp(w, keys[i]) == 0)
			return (char)('0' + i);
	if (strcmp(w, "star") == 0 || strcmp(w, "asterisk") == 0)
		return '*';
	if (strcmp(w, "pound") == 0 || strcmp(w, "hash") == 0)
		return '#';
	return 0;
}

static int
stt_opt_verb(const char *w)
{
	static const char *const verbs[] = {"press", "push",   "dial", "select",
					    "oprima", "marque", NULL};

	return stt_in(w, verbs);
}

/*
 * The key after the verb at w[i] ("press 2", "press the star key",
 * "oprima el numero 2"): sets *key and returns the index after it, or -1.
 */
static int
stt_opt_after_verb(char **w, int n, int i, char *key)
{
	static const char *const skip[] = {"the", "el",	 "number",
					   "numero", "la", NULL};
	int j = i + 1;

	while (j < n && j <= i + 3 && stt_in(w[j], skip))
		j++;
	if (j >= n || (*key = stt_opt_key(w[j])) == 0)
		return -1;
	return j + 1;
}

/* Appends the content words of w[from..to) to o->label (space-separated). */
static void
stt_opt_label(struct stt_option *o, char **w, int from, int to)
{
	size_t len = 0;

	o->label[0] = '\0';
	for (int i = from; i < to; i++) {
		size_t l = strlen(w[i]);

		if (stt_in(w[i], stt_opt_stop) || stt_opt_key(w[i]) != 0 ||
		    stt_opt_verb(w[i]))
			continue;
		if (len + l + 2 > sizeof(o->label))
			break;
		if (len > 0)
			o->label[len++] = ' ';
		memcpy(o->label + len, w[i], l + 1);
		len += l;
	}
}

static int
stt_opt_intro(const char *w)
{
	return strcmp(w, "for") == 0 || strcmp(w, "to") == 0 ||
	       strcmp(w, "para") == 0 || strcmp(w, "if") == 0;
}

int
stt_options(const char *text, struct stt_option *opts, int max)
{
	char **w = NULL;
	int n, nopt = 0, prev_end = 0;

	if (text == NULL)
		return 0;
	if ((n = stt_words(text, &w)) <= 0)
		return n;
	for (int i = 0; i < n && nopt < max; i++) {
		struct stt_option *o = &opts[nopt];
		int end, from = -1, to;
		char key;

		if (!stt_opt_verb(w[i]) ||
		    (end = stt_opt_after_verb(w, n, i, &key)) < 0)
			continue;
		o->key = key;
		/* "for X, press N": the nearest intro word before the verb */
		for (int j = i - 1; j >= prev_end && j >= i - 10; j--)
			if (stt_opt_intro(w[j])) {
				from = j;
				break;
			}
		if (from >= 0) {
			stt_opt_label(o, w, from + 1, i);
		} else if (end < n && stt_opt_intro(w[end])) {
			/* "press N for X": up to the next verb or intro */
			for (to = end + 1; to < n && to < end + 9; to++)
				if (stt_opt_verb(w[to]) || stt_opt_intro(w[to]))
					break;
			stt_opt_label(o, w, end + 1, to);
			end = to;
		} else {
			o->label[0] = '\0';
		}
		prev_end = end;
		i = end - 1;
		nopt++;
	}
	stt_words_free(w, n);
	return nopt;
}

/* Whether two labels share a word (two empty labels match). */
static int
stt_opt_label_match(const char *a, const char *b)
{
	char ca[sizeof(((struct stt_option *)0)->label)], *save = NULL, *t;

	if (a[0] == '\0' && b[0] == '\0')
		return 1;
	snprintf(ca, sizeof(ca), "%s", a);
	for (t = strtok_r(ca, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save)) {
		const char *p = b;
		size_t l = strlen(t);

		while ((p = strstr(p, t)) != NULL) {
			if ((p == b || p[-1] == ' ') &&
			    (p[l] == '\0' || p[l] == ' '))
				return 1;
			p += l;
		}
	}
	return 0;
}

int
stt_options_match(const struct stt_option *ref, int nref,
		  const struct stt_option *hyp, int nhyp, unsigned *matched)
{
	unsigned used = 0;
	int k = 0;

	if (matched != NULL)
		*matched = 0;
	for (int i = 0; i < nref && i < 32; i++)
		for (int j = 0; j < nhyp && j < 32; j++) {
			if ((used & (1u << j)) || hyp[j].key != ref[i].key ||
			    !stt_opt_label_match(ref[i].label, hyp[j].label))
				continue;
			used |= 1u << j;
			if (matched != NULL)
				*matched |= 1u << i;
			k++;
			break;
		}
	return k;
}
