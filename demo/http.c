#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_crlfcrlf(const char *buf, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
            return buf + i;
    return NULL;
}

static bool token_char(char c)
{
    return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static enum http_parse request_line(const char *p, const char *eol, struct http_request *req)
{
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof req->method)
        return HTTP_BAD;
    for (const char *c = p; c < sp1; c++)
        if (!token_char(*c))
            return HTTP_BAD;
    memcpy(req->method, p, (size_t)(sp1 - p));
    req->method[sp1 - p] = '\0';
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(eol - target));
    if (!sp2 || sp2 == target || *target != '/')
        return HTTP_BAD;
    const char *q = memchr(target, '?', (size_t)(sp2 - target));
    const char *end = q ? q : sp2;
    if ((size_t)(end - target) >= sizeof req->path)
        return HTTP_BAD;
    for (const char *c = target; c < sp2; c++)
        if ((unsigned char)*c <= 32 || (unsigned char)*c >= 127)
            return HTTP_BAD;
    memcpy(req->path, target, (size_t)(end - target));
    req->path[end - target] = '\0';
    size_t vlen = (size_t)(eol - sp2 - 1);
    if (vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
        return HTTP_BAD;
    req->keep_alive = sp2[8] == '1';
    return HTTP_OK;
}

static enum http_parse header(const char *p, const char *eol, struct http_request *req)
{
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon || colon == p)
        return HTTP_BAD;
    for (const char *c = p; c < colon; c++)
        if (!token_char(*c))
            return HTTP_BAD;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1;
    while (v < eol && (*v == ' ' || *v == '\t'))
        v++;
    size_t vlen = (size_t)(eol - v);
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (nlen == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
        if (vlen == 0 || vlen > 12)
            return vlen > 12 ? HTTP_BODY_TOO_LARGE : HTTP_BAD;
        size_t n = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (!isdigit((unsigned char)v[i]))
                return HTTP_BAD;
            n = n * 10 + (size_t)(v[i] - '0');
        }
        req->body_len = n;
    } else if (nlen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
        return HTTP_BAD; /* chunked bodies are not supported by the demo */
    } else if (nlen == 10 && strncasecmp(p, "Connection", 10) == 0) {
        if (vlen == 5 && strncasecmp(v, "close", 5) == 0)
            req->keep_alive = false;
        else if (vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0)
            req->keep_alive = true;
    }
    return HTTP_OK;
}

enum http_parse http_parse(const char *buf, size_t len, struct http_request *req)
{
    const char *end = find_crlfcrlf(buf, len < HTTP_MAX_HEADER ? len : HTTP_MAX_HEADER);
    if (!end)
        return len >= HTTP_MAX_HEADER ? HTTP_HEADERS_TOO_LARGE : HTTP_INCOMPLETE;
    memset(req, 0, sizeof *req);
    const char *p = buf;
    const char *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
    if (!eol || eol > end)
        return HTTP_BAD;
    enum http_parse rc = request_line(p, eol, req);
    for (p = eol + 2; rc == HTTP_OK && p < end; p = eol + 2) {
        eol = p;
        while (eol < end && !(eol[0] == '\r' && eol[1] == '\n'))
            eol++;
        rc = header(p, eol, req);
    }
    if (rc != HTTP_OK)
        return rc;
    if (req->body_len > HTTP_MAX_BODY)
        return HTTP_BODY_TOO_LARGE;
    req->header_len = (size_t)(end - buf) + 4;
    return len >= req->header_len + req->body_len ? HTTP_OK : HTTP_INCOMPLETE;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "Unknown";
}

void http_respond(struct brrt_buf *out, int status, const char *content_type, const char *body,
                  size_t body_len, bool close)
{
    brrt_buf_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
                    http_reason(status), content_type, body_len, close ? "Connection: close\r\n" : "");
    brrt_buf_add(out, body, body_len);
}
