/* admin_account: one account: its Lever connection, CodinGame key,
 * callback switch and rules. */
#ifndef CGLEVER_ADMIN_ACCOUNT_H
#define CGLEVER_ADMIN_ACCOUNT_H

#include <stdint.h>

struct admin;

void admin_account(struct admin *a, uint32_t id);
/* POST disconnect (the account in the form). */
void admin_disconnect(struct admin *a);
void admin_codingame_key(struct admin *a, uint32_t id);
void admin_callback(struct admin *a, uint32_t id);
/* POST account/N/rules: a new rule, or the account page again with the
 * rule form's error. */
void admin_rule_create(struct admin *a, uint32_t account);

#endif
