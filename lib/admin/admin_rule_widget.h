/* admin_rule_widget: the rule form (add or edit), its fields and their
 * checks, and the rules table: what the account page and the rule pages
 * both show. */
#ifndef CGLEVER_ADMIN_RULE_WIDGET_H
#define CGLEVER_ADMIN_RULE_WIDGET_H

#include <stddef.h>
#include "admin/admin_common.h"

/* The rule form's error: the field it belongs to and what to do. */
struct admin_rule_errors { const char *field; const char *text; };

/* The rule form: drop-downs from the live lists, values (may be NULL)
 * pre-filled, an error (may be NULL) shown next to its field. */
void admin_rule_form(struct admin *a, struct html *h, const struct store_account *acct,
		     const struct store_rule *values, const char *action_path,
		     const char *button, const struct admin_rule_errors *err);
/* The rules table of an account, with Edit, backfill and Delete. */
void admin_rules_table(struct admin *a, struct html *h, const struct store_account *acct);

/* The fields the rule form posts (for admin_form). */
extern const struct form_field admin_rule_fields[];
extern const size_t admin_rule_n_fields;
/* Fills r's tag, stage, campaign, scores, result tags and pass stage from
 * the form (pointers into f); 0, or -1 with *err naming one field. */
int admin_rule_read(const struct form *f, struct store_rule *r, struct admin_rule_errors *err);

#endif
