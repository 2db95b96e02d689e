/* fuzz_webhook: the bodies webhook.fcgi takes from the network, a Lever
 * delivery (intake_parse_lever) and a CodinGame callback
 * (intake_parse_codingame), both fed every input. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "domain/intake.h"

/* The alphabet intake promises for the ids of a job. */
static int id_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct lever_delivery d;
	char why[160];
	size_t n;

	fuzz_check_ju_parse(data, size);

	if (intake_parse_lever(body, size, &d, why, sizeof why) == 0) {
		FUZZ_CHECK(d.root && !d.reject);
		FUZZ_CHECK(d.token && d.signature && d.event);
		n = strlen(d.token);
		FUZZ_CHECK(n >= 1 && n <= 128);
		if (d.data_ok) {
			FUZZ_CHECK(d.opportunity && id_ok(d.opportunity));
			FUZZ_CHECK(d.to_stage && id_ok(d.to_stage));
			FUZZ_CHECK(!d.from_stage || !*d.from_stage || id_ok(d.from_stage));
		}
	} else {
		fuzz_check_msg(why, sizeof why, 1);
		FUZZ_CHECK(d.reject && *d.reject);
		FUZZ_CHECK(!d.root && !d.token && !d.signature && !d.event && !d.data_ok);
	}
	intake_delivery_clear(&d);
	FUZZ_CHECK(!d.root && !d.reject);

	FUZZ_CHECK(intake_parse_codingame(body, size) >= 0);
	return 0;
}
