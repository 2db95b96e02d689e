/* reconcile: the candidates a webhook never brought. The whole sweep
 * asks Lever, per rule, who carries the rule's tag in its stage and was
 * updated since the account's last pass, and gives each one who entered
 * the stage after the rule was made and has no invitation for its
 * campaign a "stage_change" job, as a delivery would: invite decides
 * and the invitation's key makes the send happen once, whichever of a
 * late delivery and this pass comes first. */
#ifndef CGLEVER_RECONCILE_H
#define CGLEVER_RECONCILE_H

#include "domain/pipeline.h"

/* Each pass looks back this far over the previous one (the first: over
 * the rule's creation): Lever's clock is not ours, and a change saved
 * while a pass lists may show an updatedAt from before it started. */
#define RECONCILE_OVERLAP_MS (10 * 60 * 1000)

/* One pass over the account's rules, through p's rate-limited Lever
 * client. Records the pass's start in the account's reconciled_at only
 * when every rule's listing succeeded, so a failure leaves the window to
 * the next sweep; when it queued jobs, also reconcile_sent_at. Returns
 * the number of jobs queued, -1 on failure (logged; p->parked set when
 * the grant is gone). */
int reconcile_run(struct pipeline *p);

#endif
