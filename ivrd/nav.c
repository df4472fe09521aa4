/*
 * nav: the offline navigator's decision for one menu.  Given what the
 * company said (a parsed menu), the caller's intent and info map, and the
 * memory of the menus heard before in the call, it picks one action and
 * says why, in this order:
 *   1. a data prompt: the value from info (and # when asked for); no value,
 *      no guess: the representative route;
 *   2. the option that best fits the intent (menu_match(): meaning from
 *      WordNet); an option that defers the intent (special offers, a
 *      survey) only when the intent asks for it; when the key of that
 *      option was lost or is unclear, the menu is heard again first;
 *   3. a speech prompt: say the intent ("representative" the second time);
 *   4. a confirmation ("if this is correct, press 1");
 *   5. the representative option (the one that is most plainly only
 *      that), the operator or "all other questions" option, or
 *      staying on the line when the menu offers that;
 *   6. 0, which reaches an operator in most menus;
 *   7. the repeat or back option, else wait for the menu to repeat;
 *   8. the options not tried yet, best first.
 * A menu heard again after a key was pressed in it is a loop: the keys
 * tried there are not pressed again.  Pure, for unit tests.
 */
#include <stdio.h>
#include <string.h>

#include "nav.h"

#define NAV_FIT_MIN 0.5	   /* a score that means the option fits */
/* Fits even an option read as "back" or "repeat", by the words beside
 * those ("credit card return to"): a whole word of the intent. */
#define NAV_FIT_STRONG 1.0
#define NAV_SAME_MENU 0.6  /* menu_similarity() of a menu heard again */
#define NAV_REPLAYS_MAX 3  /* waits for a menu to be said again, per call */

void
nav_init(struct nav *n, const char *intent)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->intent, sizeof(n->intent), "%s", intent ? intent : "");
	n->last = -1;
}

static int
nav_tried(const struct nav_seen *s, const char *digits)
{
	for (int i = 0; i < s->ntried; i++)
		if (strcmp(s->tried[i], digits) == 0)
			return 1;
	return 0;
}

static void
nav_mark(struct nav_seen *s, const char *digits)
{
	if (nav_tried(s, digits) ||
	    s->ntried >= (int)(sizeof(s->tried) / sizeof(s->tried[0])))
		return;
	snprintf(s->tried[s->ntried++], sizeof(s->tried[0]), "%s", digits);
}

/* The record of m: an earlier one when m was heard before, else a new. */
static struct nav_seen *
nav_find(struct nav *n, const struct menu *m, int *again)
{
	struct nav_seen *s;
	int best = -1;
	double bs = 0;

	*again = 0;
	for (int i = 0; i < n->nseen; i++) {
		double v = menu_similarity(&n->seen[i].m, m);
		if (v >= NAV_SAME_MENU && v > bs) {
			bs = v;
			best = i;
		}
	}
	if (best >= 0) {
		s = &n->seen[best];
		*again = 1;
		/* Options heard only this time are kept too. */
		for (size_t i = 0; i < m->nopts; i++) {
			int have = 0;
			for (size_t j = 0; j < s->m.nopts; j++)
				if (strcmp(s->m.opts[j].digit, m->opts[i].digit) ==
					0 &&
				    strcmp(s->m.opts[j].label,
					   m->opts[i].label) == 0)
					have = 1;
			if (!have && s->m.nopts < MENU_OPT_MAX)
				s->m.opts[s->m.nopts++] = m->opts[i];
		}
	} else {
		if (n->nseen >= NAV_MENUS_MAX) {
			/* Forget the oldest. */
			memmove(&n->seen[0], &n->seen[1],
				sizeof(n->seen[0]) * (NAV_MENUS_MAX - 1));
			n->nseen--;
			if (n->last >= 0)
				n->last--;
		}
		best = n->nseen++;
		s = &n->seen[best];
		memset(s, 0, sizeof(*s));
		s->m = *m;
	}
	s->visits++;
	n->last = best;
	return s;
}

static void
nav_press(struct nav *n, struct nav_seen *s, struct nav_decision *d,
	  const char *digits, const char *label)
{
	d->act = NAV_PRESS;
	snprintf(d->digits, sizeof(d->digits), "%s", digits);
	snprintf(d->label, sizeof(d->label), "%s", label ? label : "");
	nav_mark(s, digits);
	if (strcmp(digits, "0") == 0)
		s->zero_tried = 1;
	n->acted_last = 1;
}

static void
nav_say(struct nav *n, struct nav_seen *s, struct nav_decision *d,
	const char *text)
{
	d->act = NAV_SAY;
	snprintf(d->text, sizeof(d->text), "%s", text);
	s->said++;
	n->acted_last = 1;
}

/* The first untried option of kind k, or NULL.  Of the agent options,
 * the one that is most plainly the representative ("speak with an
 * account specialist" before a misheard "agents benefits"). */
static const struct menu_opt *
nav_kind(const struct nav_seen *s, const struct menu *m, enum menu_opt_kind k)
{
	const struct menu_opt *best = NULL;
	double bf = -1;

	for (size_t i = 0; i < m->nopts; i++) {
		double f;
		if (m->opts[i].kind != k || !m->opts[i].digit[0] ||
		    nav_tried(s, m->opts[i].digit))
			continue;
		if (k != MENU_OPT_AGENT)
			return &m->opts[i];
		f = menu_agent_fit(m->opts[i].label);
		if (f > bf) {
			bf = f;
			best = &m->opts[i];
		}
	}
	return best;
}

/*
 * The option that best fits the intent and its score: plain, agent and
 * catch-all options, a back or repeat option only by the words beside
 * those, a deferring option only when the intent asks for it.  lost: an
 * option whose key was not heard may be the best (it cannot be pressed).
 */
static const struct menu_opt *
nav_best(const struct nav *n, const struct nav_seen *s, const struct menu *m,
	 int loop, int lost, double *score)
{
	const struct menu_opt *best = NULL, *o;
	int defers = menu_defers(n->intent);
	double bs = 0;

	for (size_t i = 0; i < m->nopts; i++) {
		double v;
		o = &m->opts[i];
		if (o->kind != MENU_OPT_PLAIN && o->kind != MENU_OPT_AGENT &&
		    o->kind != MENU_OPT_OTHER && o->kind != MENU_OPT_BACK &&
		    o->kind != MENU_OPT_REPEAT && o->kind != MENU_OPT_DEFER)
			continue;
		if (o->kind == MENU_OPT_DEFER && !defers)
			continue;
		if (o->lost ? !lost
			    : o->digit[0] ? nav_tried(s, o->digit)
					  : (s->said > 0 && loop))
			continue;
		if (o->kind == MENU_OPT_BACK || o->kind == MENU_OPT_REPEAT) {
			/* A misheard label that looks like "return to" or
			 * "again" counts only when the rest of it plainly
			 * names the intent. */
			char core[MENU_LABEL_MAX];
			menu_label_core(o->label, core, sizeof(core));
			v = menu_match(n->intent, core);
			if (v < NAV_FIT_STRONG)
				continue;
		} else
			v = menu_match(n->intent, o->label);
		if (v > bs) {
			bs = v;
			best = o;
		}
	}
	*score = bs;
	return best;
}

/*
 * The representative route: the agent option, the "all other" option,
 * "stay on the line" or 0.  skip (may be NULL): a "don't have it" option,
 * taken before 0.  Returns 0 when nothing is left.
 */
static int
nav_agent_route(struct nav *n, struct nav_seen *s, const struct menu *m,
		const struct menu_opt *skip, struct nav_decision *d,
		const char *why)
{
	const struct menu_opt *o;

	if ((o = nav_kind(s, m, MENU_OPT_AGENT)) != NULL) {
		nav_press(n, s, d, o->digit, o->label);
		snprintf(d->reason, sizeof(d->reason),
			 "%s: pressed %s for \"%s\" (the representative "
			 "option)",
			 why, o->digit, o->label);
		return 1;
	}
	if (skip != NULL) {
		nav_press(n, s, d, skip->digit, skip->label);
		snprintf(d->reason, sizeof(d->reason), "%s: pressed %s for \"%s\"",
			 why, skip->digit, skip->label);
		return 1;
	}
	if ((o = nav_kind(s, m, MENU_OPT_OTHER)) != NULL) {
		nav_press(n, s, d, o->digit, o->label);
		snprintf(d->reason, sizeof(d->reason),
			 "%s: pressed %s for \"%s\" (the catch-all option)",
			 why, o->digit, o->label);
		return 1;
	}
	if (m->wait_agent && s->repeat_waits == 0) {
		d->act = NAV_WAIT;
		s->repeat_waits++;
		n->acted_last = 0;
		snprintf(d->reason, sizeof(d->reason),
			 "%s: staying on the line for a representative, as the "
			 "menu offers",
			 why);
		return 1;
	}
	if (!s->zero_tried && !nav_tried(s, "0")) {
		nav_press(n, s, d, "0", "operator");
		snprintf(d->reason, sizeof(d->reason),
			 "%s: pressed 0, which reaches an operator in most "
			 "menus",
			 why);
		return 1;
	}
	return 0;
}

int
nav_check_missing(struct nav *n, const struct menu *m, json_object *info,
		  struct nav_decision *d)
{
	char val[64];
	size_t keys = 0;

	if (d->missing[0] || !m->data_key[0] ||
	    menu_info_value(info, m->data_key, val, sizeof(val), NULL, 0) == 0)
		return 0;
	snprintf(d->missing, sizeof(d->missing), "%s", m->data_key);
	if (d->act != NAV_PRESS)
		return 0;
	for (const char *p = d->digits; *p; p++)
		if (*p != '#' && *p != '*')
			keys++;
	if (keys <= 1)
		return 0;
	nav_decide(n, m, info, 1, d);
	{
		char r[sizeof(d->reason)];
		memcpy(r, d->reason, sizeof(r));
		snprintf(d->reason, sizeof(d->reason),
			 "the model's digits for %s are not sent: %.440s",
			 m->data_key, r);
	}
	return 1;
}

int
nav_missing_once(char *seen, size_t seenlen, const char *key)
{
	size_t kl, sl;
	const char *p;

	if (key == NULL)
		return 0;
	if (strncmp(key, "info.", 5) == 0)
		key += 5;
	kl = strlen(key);
	if (kl == 0 || strchr(key, ' ') != NULL)
		return 0;
	for (p = seen; (p = strstr(p, key)) != NULL; p += kl)
		if ((p == seen || p[-1] == ' ') &&
		    (p[kl] == ' ' || p[kl] == '\0'))
			return 0;
	sl = strlen(seen);
	if (sl + (sl > 0) + kl + 1 > seenlen)
		return 0;
	snprintf(seen + sl, seenlen - sl, "%s%s", sl > 0 ? " " : "", key);
	return 1;
}

const char *
nav_act_action(const struct nav_decision *d)
{
	switch (d->act) {
	case NAV_PRESS:
		return d->digits;
	case NAV_SAY:
		return "say";
	case NAV_WAIT:
		return "wait";
	case NAV_HOLD:
		return "hold";
	case NAV_TRANSFER:
		return "transfer";
	case NAV_HANGUP:
		return "hang_up";
	case NAV_NONE:
		break;
	}
	return "listen";
}

void
nav_note(struct nav *n, const struct menu *m, const char *digits)
{
	int again;
	struct nav_seen *s = nav_find(n, m, &again);

	if (digits && digits[0]) {
		nav_mark(s, digits);
		n->acted_last = 1;
	}
}

/*
 * The menu to decide on: m, with the options only an earlier hearing of
 * it gave (a noisy transcript loses different words each time).
 */
static const struct menu *
nav_merged(const struct nav_seen *s, const struct menu *m)
{
	static struct menu mm;

	mm = *m;
	for (size_t i = 0; i < s->m.nopts && mm.nopts < MENU_OPT_MAX; i++) {
		int have = 0;
		if (!s->m.opts[i].digit[0])
			continue;
		for (size_t j = 0; j < mm.nopts; j++)
			if (strcmp(mm.opts[j].digit, s->m.opts[i].digit) == 0)
				have = 1;
		if (!have)
			mm.opts[mm.nopts++] = s->m.opts[i];
	}
	return &mm;
}

void
nav_decide(struct nav *n, const struct menu *heard, json_object *info,
	   int quiet, struct nav_decision *d)
{
	const struct menu *m = heard;
	const struct menu_opt *best = NULL, *o;
	struct nav_seen *s;
	double bs = 0;
	int again, prev_acted = n->acted_last, prev_last = n->last;
	char val[64], used[MENU_KEY_MAX];

	memset(d, 0, sizeof(*d));
	/* Nothing heard that asks for anything yet: keep listening. */
	if (m->nopts == 0 && m->data_key[0] == '\0' && !m->speech && !quiet) {
		if (m->hold) {
			d->act = NAV_HOLD;
			snprintf(d->reason, sizeof(d->reason),
				 "the company says to hold (\"%.200s\")",
				 m->text);
		} else {
			d->act = NAV_NONE;
			snprintf(d->reason, sizeof(d->reason),
				 "no option or prompt heard yet");
		}
		return;
	}
	s = nav_find(n, heard, &again);
	if (again)
		m = nav_merged(s, heard);
	/* Heard again after an action in it: a loop. */
	d->loop = again && prev_acted && prev_last == (int)(s - n->seen);
	if (again && !d->loop && prev_acted)
		d->loop = s->ntried > 0;
	n->acted_last = 0;

	/* 1. Data prompts. */
	if (m->data_key[0]) {
		int have = menu_info_value(info, m->data_key, val, sizeof(val),
					   used, sizeof(used)) == 0;
		const struct menu_opt *skip = nav_kind(s, m, MENU_OPT_SKIP);
		char why[256];

		if (have && !(d->loop && s->said > 0)) {
			d->act = NAV_PRESS;
			snprintf(d->digits, sizeof(d->digits), "%s%s", val,
				 m->data_pound ? "#" : "");
			snprintf(d->info_key, sizeof(d->info_key), "%s", used);
			snprintf(d->label, sizeof(d->label), "%s", m->data_key);
			snprintf(d->reason, sizeof(d->reason),
				 "the menu asks for %s: entered info.%s%s",
				 m->data_key, used,
				 m->data_pound ? " followed by #" : "");
			s->said++; /* entered once: not again after a loop */
			n->acted_last = 1;
			return;
		}
		if (!have) {
			snprintf(d->missing, sizeof(d->missing), "%s",
				 m->data_key);
			snprintf(why, sizeof(why),
				 "the menu asks for %s, which the call's info "
				 "does not have (no guessing)",
				 m->data_key);
		} else {
			snprintf(why, sizeof(why),
				 "the company did not accept info.%s", used);
		}
		if (nav_agent_route(n, s, m, skip, d, why))
			return;
		d->act = NAV_WAIT;
		snprintf(d->reason, sizeof(d->reason),
			 "%s: waiting for the menu to move on", why);
		return;
	}

	/* 2. The option that fits the intent. */
	best = nav_best(n, s, m, d->loop, !s->replayed, &bs);
	/*
	 * Its key was not heard ("press there"), or the menu's order left
	 * it unclear which key is its: hear the menu again before pressing
	 * (once per menu, a few times per call), rather than guess.  Then
	 * an unclear key is pressed; a lost one is passed over.
	 */
	if (best != NULL && bs >= NAV_FIT_MIN && (best->lost || best->unsure) &&
	    !s->replayed && n->replays < NAV_REPLAYS_MAX) {
		s->replayed = 1;
		n->replays++;
		d->act = NAV_WAIT;
		snprintf(d->reason, sizeof(d->reason),
			 "\"%s\" fits the intent \"%s\" (score %.1f) but its "
			 "key was %s: waiting to hear the menu again",
			 best->label, n->intent, bs,
			 best->lost ? "not heard" : "unclear");
		return;
	}
	if (best != NULL && best->lost)
		best = nav_best(n, s, m, d->loop, 0, &bs);
	if (best != NULL && bs >= NAV_FIT_MIN) {
		if (best->digit[0]) {
			nav_press(n, s, d, best->digit, best->label);
			snprintf(d->reason, sizeof(d->reason),
				 "%s\"%s\" fits the intent \"%s\" (score "
				 "%.1f): pressed %s",
				 d->loop ? "menu heard again, another choice: "
					 : "",
				 best->label, n->intent, bs, best->digit);
		} else {
			nav_say(n, s, d, best->label);
			snprintf(d->reason, sizeof(d->reason),
				 "\"%s\" fits the intent \"%s\" (score %.1f): "
				 "said it",
				 best->label, n->intent, bs);
			snprintf(d->label, sizeof(d->label), "%s", best->label);
		}
		return;
	}

	/* 3. Speech prompts. */
	if (m->speech && s->said < 2) {
		const char *say = s->said == 0 && n->intent[0] ? n->intent
							      : "representative";
		nav_say(n, s, d, say);
		snprintf(d->reason, sizeof(d->reason),
			 "the menu asks why we are calling%s: said \"%s\"",
			 s->said > 1 ? " again" : "", say);
		return;
	}

	/*
	 * 3b. Words of a speech prompt ("... why you are calling") beside
	 * keys that do not fit the intent (often a transcript's misheard
	 * words): say the intent once before anything else.
	 */
	if (m->speech_hint && s->said == 0 && n->intent[0] &&
	    nav_kind(s, m, MENU_OPT_AGENT) == NULL) {
		nav_say(n, s, d, n->intent);
		snprintf(d->reason, sizeof(d->reason),
			 "the menu may ask why we are calling and none of its "
			 "keys fits the intent: said \"%s\"",
			 n->intent);
		return;
	}

	/* 4. Confirmations. */
	if ((o = nav_kind(s, m, MENU_OPT_CONFIRM)) != NULL) {
		nav_press(n, s, d, o->digit, o->label);
		snprintf(d->reason, sizeof(d->reason),
			 "the menu asks for a confirmation: pressed %s for "
			 "\"%s\"",
			 o->digit, o->label);
		return;
	}

	/*
	 * Nothing fits, or nothing was understood, the first time: most
	 * menus say it again when no key comes, and a second transcript
	 * brings the words the first one lost.  Once per menu.
	 */
	if (!d->loop && s->visits == 1 && !s->replayed &&
	    n->replays < NAV_REPLAYS_MAX && !m->speech &&
	    nav_kind(s, m, MENU_OPT_AGENT) == NULL &&
	    nav_kind(s, m, MENU_OPT_OTHER) == NULL && !m->wait_agent) {
		s->replayed = 1;
		n->replays++;
		d->act = NAV_WAIT;
		snprintf(d->reason, sizeof(d->reason),
			 "%s: waiting to hear the menu again before taking "
			 "the operator route",
			 m->nopts ? "no option fits the intent"
				  : "no option was understood");
		return;
	}

	/* 5, 6. The representative route. */
	if (nav_agent_route(n, s, m, NULL, d,
			    m->nopts ? (d->loop ? "menu heard again and no "
						  "other option fits the "
						  "intent"
						: "no option fits the intent")
				     : "the company waits for input and no "
				       "option was understood"))
		return;

	/* 7. Hear it again, or go back. */
	if ((o = nav_kind(s, m, MENU_OPT_REPEAT)) != NULL &&
	    s->repeat_waits < 1) {
		s->repeat_waits++;
		nav_press(n, s, d, o->digit, o->label);
		snprintf(d->reason, sizeof(d->reason),
			 "nothing fits: pressed %s to hear the options again",
			 o->digit);
		return;
	}
	if ((o = nav_kind(s, m, MENU_OPT_BACK)) != NULL) {
		nav_press(n, s, d, o->digit, o->label);
		snprintf(d->reason, sizeof(d->reason),
			 "nothing fits here: pressed %s for \"%s\"", o->digit,
			 o->label);
		return;
	}
	/* A menu that came back after its keys were pressed (rejected)
	 * is not waited for again: the other keys are tried. */
	if (s->repeat_waits < 2 && (!d->loop || s->repeat_waits > 0)) {
		s->repeat_waits++;
		d->act = NAV_WAIT;
		snprintf(d->reason, sizeof(d->reason),
			 "nothing fits: waiting for the menu to repeat");
		return;
	}

	/* 8. The rest, best first; deferring options last. */
	best = NULL;
	bs = -2;
	for (size_t i = 0; i < m->nopts; i++) {
		double v;
		o = &m->opts[i];
		if (!o->digit[0] || nav_tried(s, o->digit) ||
		    o->kind == MENU_OPT_REPEAT || o->kind == MENU_OPT_DENY)
			continue;
		v = menu_match(n->intent, o->label);
		if (o->kind == MENU_OPT_DEFER && !menu_defers(n->intent))
			v = -1;
		if (v > bs) {
			bs = v;
			best = o;
		}
	}
	if (best != NULL) {
		nav_press(n, s, d, best->digit, best->label);
		snprintf(d->reason, sizeof(d->reason),
			 "every likelier choice was tried: pressed %s for "
			 "\"%s\"",
			 best->digit, best->label);
		return;
	}
	d->act = NAV_WAIT;
	snprintf(d->reason, sizeof(d->reason),
		 "every option of this menu was tried: waiting");
}
