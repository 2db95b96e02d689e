/* lever: typed client for the Lever API (API-NOTES.md). The types of the
 * replies and their checks are in lever_parse.h, the OAuth token endpoint
 * in lever_token.h; both come with this header. No JSON above here. */
#ifndef CGLEVER_LEVER_H
#define CGLEVER_LEVER_H

#include <stddef.h>
#include <stdint.h>
#include "clients/lever_parse.h"
#include "clients/lever_token.h"
#include "net/ratelimit.h"

struct lever {
	const char *api_url;       /* borrowed; no trailing slash */
	const char *api_key;       /* Basic auth when set */
	const char *bearer;        /* else Bearer */
	struct ratelimit rl;       /* rate per second, steady; per account once shared */
	long status;               /* last HTTP status */
	long retry_after;          /* last Retry-After seconds, -1 if none */
	char error[512];           /* last error: status, Lever code, message */
};

/* rate: requests per second (10 for Lever). */
void lever_init(struct lever *lv, const char *api_url, const char *api_key,
		const char *bearer, double rate);
const char *lever_strerror(enum lever_err e);

enum lever_err lever_opportunity_get(struct lever *lv, const char *id,
				     struct lever_opportunity **out);
/* GET /opportunities?stage_id=&tag= (all pages): who is in a stage now. */
enum lever_err lever_opportunities_list(struct lever *lv, const char *stage_id, const char *tag,
					struct lever_opportunity ***out, size_t *n);
/* The same, only those updated at or after updated_since (ms epoch,
 * updated_at_start; 0: all): a stage change updates the opportunity. */
enum lever_err lever_opportunities_updated(struct lever *lv, const char *stage_id,
					   const char *tag, int64_t updated_since,
					   struct lever_opportunity ***out, size_t *n);

/* POST /opportunities/:id/notes with {"value": text}; note_id may be NULL. */
enum lever_err lever_note_add(struct lever *lv, const char *opp_id,
			      const char *text, char **note_id_alloc);

/* GET /opportunities/:id/notes (all pages, at most 100): the id of the
 * first note whose text (top-level "text" or any fields[].value) holds
 * marker as a plain substring, or NULL with LEVER_OK when none does.
 * Notes of an unexpected shape are skipped. */
enum lever_err lever_note_find(struct lever *lv, const char *opp_id,
			       const char *marker, char **note_id_alloc);

/* POST /opportunities/:id/addTags {"tags":[tag]}; retried (harmless twice). */
enum lever_err lever_tags_add(struct lever *lv, const char *opp_id, const char *tag);
/* PUT /opportunities/:id/stage {"stage": stage_id}; retried (idempotent). */
enum lever_err lever_stage_set(struct lever *lv, const char *opp_id, const char *stage_id);

/* All pages. Arrays owned by caller; free with the _free functions
 * (lever_parse.h). */
enum lever_err lever_stages_list(struct lever *lv, struct lever_stage **out, size_t *n);
enum lever_err lever_tags_list(struct lever *lv, struct lever_tag **out, size_t *n);

/* POST /webhooks {url, event}; returns the webhook id and signature token. */
enum lever_err lever_webhook_create(struct lever *lv, const char *url,
				    const char *event, char **id_alloc,
				    char **token_alloc);
enum lever_err lever_webhook_delete(struct lever *lv, const char *id);

/* POST /opportunities/:id/files?perform_as=USER: data (len bytes, at most
 * LEVER_FILE_MAX) as the multipart part "file" named name, of type type.
 * Not retried once it may have been received: after LEVER_TEMPORARY look
 * with lever_file_find before uploading again. */
#define LEVER_FILE_MAX ((size_t)30 * 1000 * 1000)
enum lever_err lever_file_upload(struct lever *lv, const char *opp_id, const char *perform_as,
				 const char *name, const char *type, const char *data,
				 size_t len);
/* GET /opportunities/:id/files (all pages, at most 100): *found 1 when a
 * file is named name. */
enum lever_err lever_file_find(struct lever *lv, const char *opp_id, const char *name,
			       int *found);
/* GET /users: the id of the first active super admin (else admin), whom
 * uploads are made as (Lever wants perform_as on files); LEVER_REJECTED
 * when there is none. */
enum lever_err lever_admin_user(struct lever *lv, char **id_alloc);
/* GET /webhooks (all pages): the account's webhooks, ours or not. */
enum lever_err lever_webhooks_list(struct lever *lv, struct lever_webhook **out, size_t *n);

#endif
