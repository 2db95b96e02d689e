/* admin_options: the account's options (attach CodinGame's PDF report to
 * the opportunity; forgetting a person also deletes their test at
 * CodinGame): a small form on the account page and its POST. */
#ifndef CGLEVER_ADMIN_OPTIONS_H
#define CGLEVER_ADMIN_OPTIONS_H

#include <stdint.h>
#include "admin/admin_common.h"

/* The options form, as the account page shows it. */
void admin_options_form(struct admin *a, struct html *h, const struct store_account *acct);
/* POST account/N/options (CSRF-checked): saves both checkboxes (an
 * unchecked box is absent from the form) and records an audit line when
 * they change. */
void admin_options(struct admin *a, uint32_t id);

#endif
