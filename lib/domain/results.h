/* results: the story on the Lever timeline after a test is sent: the
 * "test sent" note, then the result (score, technologies, report link)
 * or a short note for an aborted test, and the rule's pass/fail tags and
 * stage move. Each happens once. */
#ifndef CGLEVER_RESULTS_H
#define CGLEVER_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include "domain/pipeline.h"

/* The "test sent" note for a sent invitation (once). */
enum pipe_result results_sent_note(struct pipeline *p, struct store_invitation *inv,
				   char *err, size_t errlen);
/* Re-reads the test in CodinGame and, when it is over, posts the result
 * and applies the thresholds (each once). Unfinished: schedules the next
 * poll. */
enum pipe_result results_check(struct pipeline *p, struct store_invitation *inv,
			       char *err, size_t errlen);
/* A "check_test" job (CodinGame callback): tests this account never sent
 * are ignored without any call. */
enum pipe_result results_check_test(struct pipeline *p, int64_t test_id, char *err,
				    size_t errlen);
/* Checks the account's unfinished tests: all of them (force, after a
 * callback naming no test) or those whose poll is due (sweep). Returns
 * the worst outcome. */
enum pipe_result results_poll(struct pipeline *p, int force, char *err, size_t errlen);

/* Delay before poll n+1 of an unfinished test: 1 min doubling, max 6 h. */
int64_t results_poll_delay_ms(int polls);

#endif
