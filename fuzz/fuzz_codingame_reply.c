/* fuzz_codingame_reply: every CodinGame reply parser (cg_parse_*) over
 * each input: campaigns, a test, a page of tests, a send reply. */
#include <stdlib.h>
#include <string.h>

#include "clients/codingame_parse.h"
#include "fuzz_common.h"

static void check_err(enum cg_err e, const char *why, size_t size)
{
	fuzz_check_outcome(e == CG_OK, e == CG_OK || e == CG_BAD_REPLY || e == CG_TEMPORARY,
			   why, size);
}

static void check_test(const struct cg_test *t)
{
	FUZZ_CHECK(t != NULL);
	FUZZ_CHECK((t->tags != NULL) == (t->n_tags > 0));
	for (size_t i = 0; i < t->n_tags; i++)
		FUZZ_CHECK(t->tags[i] != NULL);
	FUZZ_CHECK(t->has_report == 0 || t->has_report == 1);
	if (!t->has_report)
		FUZZ_CHECK(t->score == 0);
	FUZZ_CHECK((t->technologies != NULL) == (t->n_technologies > 0));
	for (size_t i = 0; i < t->n_technologies; i++) {
		const struct cg_technology *tech = &t->technologies[i];

		FUZZ_CHECK(tech->name != NULL);
		FUZZ_CHECK((tech->skills != NULL) == (tech->n_skills > 0));
		for (size_t k = 0; k < tech->n_skills; k++)
			FUZZ_CHECK(tech->skills[k].name != NULL);
	}
}

static void campaigns(const char *json, size_t len)
{
	struct cg_campaign *c = NULL;
	size_t n = 0;
	char why[256];
	enum cg_err e = cg_parse_campaigns(json, len, &c, &n, why, sizeof why);

	check_err(e, why, sizeof why);
	if (e != CG_OK)
		FUZZ_CHECK(!c && n == 0);
	else
		FUZZ_CHECK((c != NULL) == (n > 0));
	for (size_t i = 0; i < n; i++) {
		size_t first = 0;

		FUZZ_CHECK(c[i].archived == 0 || c[i].archived == 1);
		/* The first campaign of an id names it. */
		while (c[first].id != c[i].id)
			first++;
		FUZZ_CHECK(cg_campaign_name(c, n, c[i].id) == c[first].name);
	}
	cg_campaigns_free(c, n);
}

static void test(const char *json, size_t len)
{
	struct cg_test *t = NULL;
	char why[256];
	enum cg_err e = cg_parse_test(json, len, &t, why, sizeof why);

	check_err(e, why, sizeof why);
	if (e == CG_OK)
		check_test(t);
	else
		FUZZ_CHECK(t == NULL);
	cg_test_free(t);
}

static void tests_page(const char *json, size_t len, int64_t start)
{
	struct cg_test **t = NULL;
	size_t n = 0;
	int more = 0;
	int64_t next = 0;
	char why[256];
	enum cg_err e = cg_parse_tests_page(json, len, start, &t, &n, &more, &next, why,
					    sizeof why);

	check_err(e, why, sizeof why);
	if (e != CG_OK)
		FUZZ_CHECK(!t && n == 0 && !more && next == 0);
	else
		FUZZ_CHECK((t != NULL) == (n > 0));
	FUZZ_CHECK(more == 0 || more == 1);
	if (more)
		FUZZ_CHECK(next > start);
	for (size_t i = 0; i < n; i++)
		check_test(t[i]);
	cg_tests_free(t, n);
}

static void send_reply(const char *json, size_t len)
{
	int64_t id = -1;
	char why[256], *url = NULL;
	enum cg_err e = cg_parse_send_reply(json, len, &id, &url, why, sizeof why);

	check_err(e, why, sizeof why);
	if (e == CG_OK)
		FUZZ_CHECK(id > 0);
	else
		FUZZ_CHECK(id == 0 && !url);
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;

	fuzz_check_ju_parse(data, size);
	campaigns(json, size);
	test(json, size);
	tests_page(json, size, 0);
	tests_page(json, size, 50);
	send_reply(json, size);
	return 0;
}
