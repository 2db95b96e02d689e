/* ctl: the operator's commands behind cglever-ctl, with their arguments
 * already parsed and checked by the program. Each prints its result on
 * stdout and what went wrong on stderr ("cglever-ctl: ..."), and returns
 * the program's exit status (0 done, 1 failed). */
#ifndef CGLEVER_CTL_H
#define CGLEVER_CTL_H

#include <stdint.h>
#include "base/conf.h"
#include "domain/account.h"
#include "store/store.h"

/* The secret in the first line of path (a trailing newline is ignored),
 * or NULL after saying why (what names the file in the message). Free it
 * with crypto_free_secret. */
char *ctl_read_key_file(const char *path, const char *what);

int ctl_account_add(const struct conf *c, struct store *st, const struct account_new *in);
int ctl_account_list(struct store *st);
/* r: a checked rule without id and creation time; its account must exist. */
int ctl_rule_add(struct store *st, struct store_rule *r);
int ctl_rule_list(struct store *st);
int ctl_rule_delete(struct store *st, uint32_t id);
int ctl_invitations(struct store *st, uint32_t account);
/* account 0: every account's jobs. */
int ctl_jobs(struct store *st, uint32_t account);
int ctl_callback(const struct conf *c, struct store *st, uint32_t account, int on);
int ctl_backup(struct store *st, const char *dir);
/* The queue runner of account only (the one the webhook starts), or with
 * only 0 the whole sweep: every account's due jobs, waiting invitations
 * and results, then the store's pruning and checkpoint. */
int ctl_sweep(const struct conf *c, struct store *st, uint32_t only);
/* A data-subject request (forget.h): every account's invitations with
 * email (checked by forget_email_ok), each account under its runner
 * lock; prints the counts per account, or that nobody had it (0). */
int ctl_forget(const struct conf *c, struct store *st, const char *email);

#endif
