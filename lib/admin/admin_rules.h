/* admin_rules: edit and delete a rule. */
#ifndef CGLEVER_ADMIN_RULES_H
#define CGLEVER_ADMIN_RULES_H

#include <stdint.h>

struct admin;

void admin_rule_edit(struct admin *a, uint32_t rule);
void admin_rule_update(struct admin *a, uint32_t rule);
void admin_rule_delete(struct admin *a, uint32_t rule);

#endif
