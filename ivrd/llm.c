/*
 * llm: the LLM navigator (placeholder until [llm] is configured).
 */
#include <errno.h>
#include <stdlib.h>

#include "ivrd.h"
#include "nav.h"

int
llm_enabled(const struct conf *conf)
{
	(void)conf;
	return 0;
}

int
llm_new(struct llm **out, struct daemon *d, const struct conf *conf,
	struct explore *e)
{
	(void)d;
	(void)conf;
	(void)e;
	*out = NULL;
	return -ENOTSUP;
}

int
llm_ask(struct llm *l, struct call *c, struct nav *n, const struct menu *m,
	const char *heard, int quiet)
{
	(void)l;
	(void)c;
	(void)n;
	(void)m;
	(void)heard;
	(void)quiet;
	return -ENOTSUP;
}

int
llm_busy(const struct llm *l)
{
	(void)l;
	return 0;
}

void
llm_free(struct llm *l)
{
	(void)l;
}
