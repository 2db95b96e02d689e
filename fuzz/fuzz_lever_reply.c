/* fuzz_lever_reply: every Lever reply parser (lever_parse_*) over each
 * input: an opportunity, pages of opportunities, stages, tags and notes,
 * a note, a webhook, and the token endpoint's reply under a few statuses. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "clients/lever_parse.h"
#include "clients/lever_token.h"

static void check_err(enum lever_err e, const char *why, size_t size)
{
	fuzz_check_outcome(e == LEVER_OK, e == LEVER_OK || e == LEVER_BAD_REPLY ||
			   e == LEVER_TEMPORARY, why, size);
}

static void check_opportunity(const struct lever_opportunity *o)
{
	FUZZ_CHECK(o && o->id);
	FUZZ_CHECK((o->emails != NULL) == (o->n_emails > 0));
	FUZZ_CHECK((o->tags != NULL) == (o->n_tags > 0));
	for (size_t i = 0; i < o->n_emails; i++)
		FUZZ_CHECK(o->emails[i] != NULL);
	for (size_t i = 0; i < o->n_tags; i++)
		FUZZ_CHECK(o->tags[i] != NULL);
	FUZZ_CHECK(o->archived == 0 || o->archived == 1);
	for (size_t i = 0; i < o->n_changes; i++)
		FUZZ_CHECK(o->changes[i].to_stage_id != NULL);
}

static void opportunity(const char *json, size_t len)
{
	struct lever_opportunity *o = NULL;
	char why[256];
	enum lever_err e = lever_parse_opportunity(json, len, &o, why, sizeof why);

	check_err(e, why, sizeof why);
	FUZZ_CHECK((e == LEVER_OK) == (o != NULL));
	if (o)
		check_opportunity(o);
	lever_opportunity_free(o);
}

/* The page outputs every list parser shares. */
static void check_page(enum lever_err e, const char *why, const void *v, size_t n,
		       const char *next)
{
	check_err(e, why, 256);
	if (e != LEVER_OK)
		FUZZ_CHECK(!v && n == 0 && !next);
	else
		FUZZ_CHECK((v != NULL) == (n > 0));
	FUZZ_CHECK(!next || *next);
}

static void opportunities(const char *json, size_t len)
{
	struct lever_opportunity **o = NULL;
	size_t n = 0;
	char why[256], *next = NULL;
	enum lever_err e = lever_parse_opportunities_page(json, len, &o, &n, &next, why,
							  sizeof why);

	check_page(e, why, o, n, next);
	for (size_t i = 0; i < n; i++)
		check_opportunity(o[i]);
	lever_opportunities_free(o, n);
	free(next);
}

static void stages(const char *json, size_t len)
{
	struct lever_stage *s = NULL;
	size_t n = 0;
	char why[256], *next = NULL;
	enum lever_err e = lever_parse_stages_page(json, len, &s, &n, &next, why, sizeof why);

	check_page(e, why, s, n, next);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(s[i].id && s[i].text);
	lever_stages_free(s, n);
	free(next);
}

static void tags(const char *json, size_t len)
{
	struct lever_tag *t = NULL;
	size_t n = 0;
	char why[256], *next = NULL;
	enum lever_err e = lever_parse_tags_page(json, len, &t, &n, &next, why, sizeof why);

	check_page(e, why, t, n, next);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(t[i].text != NULL);
	lever_tags_free(t, n);
	free(next);
}

static void notes(const char *json, size_t len)
{
	static const char marker[] = "[cglever:sent:1001]";
	char why[256], *id = NULL, *next = NULL;
	enum lever_err e = lever_parse_notes_page(json, len, marker, &id, &next, why,
						  sizeof why);

	check_err(e, why, sizeof why);
	if (e != LEVER_OK)
		FUZZ_CHECK(!id && !next);
	/* A hit ends the search. */
	if (id)
		FUZZ_CHECK(*id && !next);
	FUZZ_CHECK(!next || *next);
	free(id);
	free(next);
}

static void note_reply(const char *json, size_t len)
{
	char why[256], *id = NULL;
	enum lever_err e = lever_parse_note_reply(json, len, &id, why, sizeof why);

	check_err(e, why, sizeof why);
	if (e != LEVER_OK)
		FUZZ_CHECK(!id);
	free(id);
}

static void webhook(const char *json, size_t len)
{
	char why[256], *id = NULL, *token = NULL;
	enum lever_err e = lever_parse_webhook_reply(json, len, &id, &token, why, sizeof why);

	check_err(e, why, sizeof why);
	if (e == LEVER_OK)
		FUZZ_CHECK(id && token && *token);
	else
		FUZZ_CHECK(!token && (!id || e == LEVER_BAD_REPLY));
	free(id);
	free(token);
}

static void token_reply(long status, const char *json, size_t len)
{
	struct lever_tokens t;
	char err[300];
	enum lever_err e = lever_parse_token_reply(status, json, len, &t, err, sizeof err);

	if (e == LEVER_OK) {
		FUZZ_CHECK(status >= 200 && status <= 299);
		FUZZ_CHECK(t.access_token && t.expires_in > 0);
	} else {
		FUZZ_CHECK(!t.access_token && !t.refresh_token && t.expires_in == 0);
		fuzz_check_msg(err, sizeof err, 1);
		/* The message may reach a log or a page: no control bytes. */
		for (const char *c = err; *c; c++)
			FUZZ_CHECK((unsigned char)*c >= 0x20);
	}
	lever_tokens_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 403, 429, 503 };
	const char *json = (const char *)data;

	fuzz_check_ju_parse(data, size);
	opportunity(json, size);
	opportunities(json, size);
	stages(json, size);
	tags(json, size);
	notes(json, size);
	note_reply(json, size);
	webhook(json, size);
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		token_reply(statuses[i], json, size);
	return 0;
}
