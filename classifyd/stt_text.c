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
			*minutes = 30;
			found = 1;
			break;
		}
		/* "a minute", "an hour" */
		if (i >= 1 &&
		    (strcmp(w[i - 1], "a") == 0 || strcmp(w[i - 1], "an") == 0)) {
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
		if (v == 0 || v > 1000)
			continue;
		*minutes = v * unit;
		found = 1;
	}
	stt_words_free(w, n);
	return found;
}
