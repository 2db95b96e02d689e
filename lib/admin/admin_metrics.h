/* admin_metrics: GET admin.fcgi/metrics, the health counters in
 * Prometheus' text format (0.0.4) for the host's monitoring, behind the
 * admin pages' sign-in. */
#ifndef CGLEVER_ADMIN_METRICS_H
#define CGLEVER_ADMIN_METRICS_H

#include "admin/admin_common.h"

void admin_metrics(struct admin *a);

#endif
