/* lever_parse: what Lever answers (API-NOTES.md, "Lever"): the types, their
 * free functions, and the checks of the replies. The checks walk the
 * parsed reply field by field: a documented field of the wrong type is
 * LEVER_BAD_REPLY, unknown fields are ignored. The calls (lever.h) use the
 * walkers; the lever_parse_* functions run the same walkers over raw text,
 * for tests and fuzzing. No I/O here. */
#ifndef CGLEVER_LEVER_PARSE_H
#define CGLEVER_LEVER_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct json_object; /* json-c, for the walkers only: no JSON above lever.h */

enum lever_err {
	LEVER_OK = 0,
	LEVER_NOTFOUND,      /* 404 */
	LEVER_UNAUTHORIZED,  /* 401/403: key or token refused */
	LEVER_TEMPORARY,     /* 429/5xx/timeout/connection after retries: try later */
	LEVER_REJECTED,      /* other 4xx: the request itself is wrong */
	LEVER_BAD_REPLY,     /* reply not as documented */
	LEVER_REVOKED        /* token endpoint: invalid_grant (revoked, spent or expired) */
};

/* One entry of an opportunity's stageChanges: it entered to_stage_id at
 * updated_at (ms). */
struct lever_stage_change {
	char *to_stage_id;
	int64_t updated_at;
};

struct lever_opportunity {
	char *id;
	char *name;
	char **emails;  size_t n_emails;
	char **tags;    size_t n_tags;
	char *stage_id;            /* NULL when absent */
	int archived;              /* 1 when "archived" is a non-null object */
	int64_t last_advanced_at;
	/* stageChanges in Lever's order (not documented: oldest first seen);
	 * entries without a toStageId are left out. */
	struct lever_stage_change *changes;
	size_t n_changes;
	char *contact;             /* the person's contact id (NULL when absent) */
};
void lever_opportunity_free(struct lever_opportunity *o);
void lever_opportunities_free(struct lever_opportunity **o, size_t n);

struct lever_stage { char *id; char *text; };
struct lever_tag { char *text; int64_t count; };
void lever_stages_free(struct lever_stage *s, size_t n);
void lever_tags_free(struct lever_tag *t, size_t n);

/* ---- Reply parsers over raw text: len bytes, need not be NUL-terminated,
 * taken as a 2xx reply. They return LEVER_OK, LEVER_BAD_REPLY (why says
 * what is wrong, worded as in lever's error) or LEVER_TEMPORARY (out of
 * memory); on error the outputs are NULL / 0 and nothing is left to
 * free. ---- */
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

/* ---- The walkers, over a parsed reply (an object), for the calls. ---- */
enum lever_err lever_opportunity_from(struct json_object *root,
				      struct lever_opportunity **out, char *why, size_t whylen);
/* data.noteId of a POST notes reply, or NULL. */
const char *lever_note_id_from(struct json_object *root);
enum lever_err lever_webhook_from(struct json_object *root, char **id_alloc,
				  char **token_alloc, char *why, size_t whylen);

/* Called per element of a page's "data"; returns NULL to go on,
 * LEVER_LIST_STOP to end the listing with LEVER_OK, or why the element is
 * bad ("out of memory" makes it LEVER_TEMPORARY). */
typedef const char *(*lever_item_fn)(struct json_object *item, void *ctx);
extern const char LEVER_LIST_STOP[];

/* One page of a list: every element through fn, and in *next_alloc the
 * offset of the next page, or NULL after the last page or when fn
 * stopped the listing. */
enum lever_err lever_page(struct json_object *root, lever_item_fn fn, void *ctx,
			  char **next_alloc, char *why, size_t whylen);

/* The elements of a list gathered over its pages: zero-initialize with
 * kind set, pass lever_vec_item and the vec to lever_page, end with
 * lever_vec_end. */
struct lever_kind;
extern const struct lever_kind lever_kind_stage, lever_kind_tag, lever_kind_opportunity;
struct lever_vec {
	const struct lever_kind *kind;
	void *v;                   /* the kind's array: struct lever_stage *, ... */
	size_t n, cap;
};
const char *lever_vec_item(struct json_object *item, void *vec);
/* The listing ended with err: on an error the elements are freed (v NULL
 * and n 0). Sets *n and returns err. */
enum lever_err lever_vec_end(struct lever_vec *vec, enum lever_err err, size_t *n);

/* The note search of lever_note_find: marker borrowed, id found (owned). */
struct lever_note_search { const char *marker; char *id; };
const char *lever_note_item(struct json_object *item, void *search);

/* ---- GET /webhooks (issue 16): the webhooks of the Lever account, as
 * listed; their signature tokens are not read (whether a listing shows
 * them is unknown). event and url may be NULL. ---- */
struct lever_webhook { char *id; char *event; char *url; };
void lever_webhooks_free(struct lever_webhook *w, size_t n);
extern const struct lever_kind lever_kind_webhook;
enum lever_err lever_parse_webhooks_page(const char *json, size_t len,
					 struct lever_webhook **out, size_t *n,
					 char **next_alloc, char *why, size_t whylen);

#endif
