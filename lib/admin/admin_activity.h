/* admin_activity: the failed and pending jobs and the latest invitations
 * of an account, with retry, resend and cancel. */
#ifndef CGLEVER_ADMIN_ACTIVITY_H
#define CGLEVER_ADMIN_ACTIVITY_H

#include <stdint.h>

struct admin;

void admin_activity(struct admin *a, uint32_t id);
void admin_action(struct admin *a, uint32_t id);

#endif
