/* admin_campaigns: per campaign, what was sent and how it went. */
#ifndef CGLEVER_ADMIN_CAMPAIGNS_H
#define CGLEVER_ADMIN_CAMPAIGNS_H

#include <stdint.h>

struct admin;

void admin_campaigns(struct admin *a, uint32_t id);

#endif
