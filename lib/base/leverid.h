/* leverid: what a Lever id (opportunity, stage, user) may look like. */
#ifndef CGLEVER_LEVERID_H
#define CGLEVER_LEVERID_H

/* 1 when s is 1..64 characters of [A-Za-z0-9_-] (Lever's ids are
 * UUID-like; a conservative alphabet keeps them safe in URLs, logs and
 * HTML), else 0; NULL is 0. */
int leverid_ok(const char *s);

#endif
