/* admin_backfill: send a rule's test to candidates already in its stage. */
#ifndef CGLEVER_ADMIN_BACKFILL_H
#define CGLEVER_ADMIN_BACKFILL_H

#include <stdint.h>

struct admin;

/* The list (POST rule/N/preview: many Lever calls, so CSRF-checked), then
 * the confirmation (POST rule/N/backfill). */
void admin_backfill(struct admin *a, uint32_t rule);
void admin_backfill_confirm(struct admin *a, uint32_t rule);

#endif
