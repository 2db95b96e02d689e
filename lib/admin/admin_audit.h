/* admin_audit: the audit log page. */
#ifndef CGLEVER_ADMIN_AUDIT_H
#define CGLEVER_ADMIN_AUDIT_H

#include <stdint.h>

struct admin;

void admin_audit(struct admin *a);

#endif
