/* The demo's HTTP/1.1 subset: request line + headers + Content-Length bodies, keep-alive.
 * Anything else (chunked bodies, bad syntax) is a 400; oversize headers 431, bodies 413. */
#ifndef BRRT_DEMO_HTTP_H
#define BRRT_DEMO_HTTP_H

#include "brrtstat/render.h"

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEADER 8192
#define HTTP_MAX_BODY 65536

enum http_parse {
    HTTP_INCOMPLETE = 0,
    HTTP_OK = 200,
    HTTP_BAD = 400,
    HTTP_BODY_TOO_LARGE = 413,
    HTTP_HEADERS_TOO_LARGE = 431,
};

struct http_request {
    char method[16];
    char path[1024];     /* without the query string */
    size_t header_len;   /* request line + headers + blank line */
    size_t body_len;     /* Content-Length */
    bool keep_alive;
};

/* Parses the request at the start of buf[0..len). HTTP_OK means header and body are complete:
 * the request spans header_len + body_len bytes. */
enum http_parse http_parse(const char *buf, size_t len, struct http_request *req);
const char *http_reason(int status);
/* Appends a complete response with Content-Length (and Connection: close when `close`). */
void http_respond(struct brrt_buf *out, int status, const char *content_type, const char *body,
                  size_t body_len, bool close);

#endif
