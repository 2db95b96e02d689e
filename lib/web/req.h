/* req: the FastCGI request layer (libfcgi's fcgiapp; plain CGI too).
 * One struct req per program; req_accept() frees what the previous
 * request owned, so nothing outlives a loop turn. */
#ifndef CGLEVER_REQ_H
#define CGLEVER_REQ_H

#include <stddef.h>
#include <fcgiapp.h>

enum req_body {
	REQ_BODY_OK = 0,
	REQ_BODY_TOOBIG,     /* over the cap: answer 413 */
	REQ_BODY_BAD,        /* missing/short/invalid length: answer 400 */
	REQ_BODY_NOMEM
};

struct req {
	int is_cgi;
	int started;
	FCGX_Request fcgx;
	char **envp;
	const char *method;        /* never NULL ("" when absent) */
	const char *path_info;     /* never NULL */
	const char *query;         /* never NULL */
	const char *remote_user;   /* NULL when not authenticated */
	char *body;                /* NUL-terminated copy, owned */
	size_t body_len;
	int answered;
	char id[17];               /* random request id for the log */
};

/* Once per process. Returns -1 on failure. */
int req_init(struct req *r);
/* Waits for the next request; returns 1 with one ready, 0 when done. */
int req_accept(struct req *r);
const char *req_env(const struct req *r, const char *name);
/* Reads the body; refuses before allocating when CONTENT_LENGTH > cap. */
enum req_body req_read_body(struct req *r, long cap);
/* Status line, headers (each "Name: value\r\n", may be NULL) and body.
 * Security headers are always added. Only the first answer counts. */
void req_reply(struct req *r, int status, const char *content_type,
	       const char *headers, const char *body, size_t len);
/* Short text/plain answer: "<status> <reason>: <msg>\n". */
void req_reply_text(struct req *r, int status, const char *msg);
/* Finishes the current request (flush and close its connection). */
void req_finish(struct req *r);
void req_free(struct req *r);
const char *req_status_text(int status);

#endif
