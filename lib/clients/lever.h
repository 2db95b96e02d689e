/* lever: typed client for the Lever API (API-NOTES.md). No JSON above here. */
#ifndef CGLEVER_LEVER_H
#define CGLEVER_LEVER_H

#include <stddef.h>
#include <stdint.h>
#include "net/ratelimit.h"

enum lever_err {
	LEVER_OK = 0,
	LEVER_NOTFOUND,      /* 404 */
	LEVER_UNAUTHORIZED,  /* 401/403: key or token refused */
	LEVER_TEMPORARY,     /* 429/5xx/timeout/connection after retries: try later */
	LEVER_REJECTED,      /* other 4xx: the request itself is wrong */
	LEVER_BAD_REPLY,     /* reply not as documented */
	LEVER_REVOKED        /* token endpoint: invalid_grant (revoked, spent or expired) */
};

struct lever {
	const char *api_url;       /* borrowed; no trailing slash */
	const char *api_key;       /* Basic auth when set */
	const char *bearer;        /* else Bearer */
	struct ratelimit rl;       /* 10/s steady, per account */
	long status;               /* last HTTP status */
	long retry_after;          /* last Retry-After seconds, -1 if none */
	char error[512];           /* last error: status, Lever code, message */
};

/* rate: requests per second (10 for Lever). */
void lever_init(struct lever *lv, const char *api_url, const char *api_key,
		const char *bearer, double rate);
const char *lever_strerror(enum lever_err e);

struct lever_opportunity {
	char *id;
	char *name;
	char **emails;  size_t n_emails;
	char **tags;    size_t n_tags;
	char *stage_id;            /* NULL when absent */
	int archived;              /* 1 when "archived" is a non-null object */
	int64_t last_advanced_at;
};
enum lever_err lever_opportunity_get(struct lever *lv, const char *id,
				     struct lever_opportunity **out);
void lever_opportunity_free(struct lever_opportunity *o);
/* GET /opportunities?stage_id=&tag= (all pages): who is in a stage now. */
enum lever_err lever_opportunities_list(struct lever *lv, const char *stage_id, const char *tag,
					struct lever_opportunity ***out, size_t *n);
void lever_opportunities_free(struct lever_opportunity **o, size_t n);

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

struct lever_stage { char *id; char *text; };
struct lever_tag { char *text; int64_t count; };
/* All pages. Arrays owned by caller; free with the _free functions. */
enum lever_err lever_stages_list(struct lever *lv, struct lever_stage **out, size_t *n);
void lever_stages_free(struct lever_stage *s, size_t n);
enum lever_err lever_tags_list(struct lever *lv, struct lever_tag **out, size_t *n);
void lever_tags_free(struct lever_tag *t, size_t n);

/* POST /webhooks {url, event}; returns the webhook id and signature token. */
enum lever_err lever_webhook_create(struct lever *lv, const char *url,
				    const char *event, char **id_alloc,
				    char **token_alloc);
enum lever_err lever_webhook_delete(struct lever *lv, const char *id);

/* ---- OAuth token endpoint (Auth0: form-encoded in, {"error"} out) ---- */
struct lever_tokens {
	char *access_token;
	char *refresh_token;         /* a NEW one on every refresh: the old is spent */
	int64_t expires_in;          /* seconds */
};
/* grant_type=authorization_code. */
enum lever_err lever_token_exchange(const char *token_url, const char *client_id,
				    const char *client_secret, const char *code,
				    const char *redirect_uri, struct lever_tokens *out,
				    char *err, size_t errlen);
/* grant_type=refresh_token. Never retried after the request left: a
 * replayed refresh would be refused as spent. */
enum lever_err lever_token_refresh(const char *token_url, const char *client_id,
				   const char *client_secret, const char *refresh_token,
				   struct lever_tokens *out, char *err, size_t errlen);
/* Wipes and frees the members (not the struct). */
void lever_tokens_clear(struct lever_tokens *t);

/* ---- Reply parsers: no I/O. The calls above check their replies with
 * the same code; these take the raw text (len bytes, need not be
 * NUL-terminated) as a 2xx reply, for tests and fuzzing. They return
 * LEVER_OK, LEVER_BAD_REPLY (why says what is wrong, worded as in
 * lv->error) or LEVER_TEMPORARY (out of memory); on error the outputs
 * are NULL / 0 and nothing is left to free. ---- */
/* GET /opportunities/:id: {"data":{...}}. */
enum lever_err lever_parse_opportunity(const char *json, size_t len,
				       struct lever_opportunity **out, char *why, size_t whylen);
/* One page of a list, {"data":[...],"hasNext":true,"next":"..."}:
 * *next_alloc is the offset of the next page, NULL after the last. */
enum lever_err lever_parse_opportunities_page(const char *json, size_t len,
					      struct lever_opportunity ***out, size_t *n,
					      char **next_alloc, char *why, size_t whylen);
enum lever_err lever_parse_stages_page(const char *json, size_t len, struct lever_stage **out,
				       size_t *n, char **next_alloc, char *why, size_t whylen);
enum lever_err lever_parse_tags_page(const char *json, size_t len, struct lever_tag **out,
				     size_t *n, char **next_alloc, char *why, size_t whylen);
/* A page of notes: the id of the first note holding marker (non-empty),
 * as lever_note_find looks; NULL when none does. After a hit *next_alloc
 * is NULL: the search is over. */
enum lever_err lever_parse_notes_page(const char *json, size_t len, const char *marker,
				      char **note_id_alloc, char **next_alloc, char *why,
				      size_t whylen);
/* POST notes: {"data":{"noteId":"..."}}; *note_id_alloc NULL when the
 * reply has none (LEVER_OK all the same: the note exists). */
enum lever_err lever_parse_note_reply(const char *json, size_t len, char **note_id_alloc,
				      char *why, size_t whylen);
/* POST /webhooks: {"data":{"data":{"id","configuration":{"signatureToken"}}}}.
 * Exception to the rule above: LEVER_BAD_REPLY with *id_alloc set means
 * the webhook exists but came without its token (the caller deletes it
 * and frees the id). */
enum lever_err lever_parse_webhook_reply(const char *json, size_t len, char **id_alloc,
					 char **token_alloc, char *why, size_t whylen);
/* The token endpoint's reply with its HTTP status (any status: an Auth0
 * error too), classified as lever_token_exchange/refresh return it. */
enum lever_err lever_parse_token_reply(long status, const char *json, size_t len,
				      struct lever_tokens *out, char *err, size_t errlen);

#endif
