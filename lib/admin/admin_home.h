/* admin_home: the accounts, and a new one. */
#ifndef CGLEVER_ADMIN_HOME_H
#define CGLEVER_ADMIN_HOME_H

#include <stdint.h>

struct admin;

void admin_home(struct admin *a);
void admin_account_create(struct admin *a);

#endif
