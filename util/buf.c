/* The text buffer and number formatting; see brrtstat/buf.h. */
#include "brrtstat/buf.h"

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool brrt_buf_reserve(struct brrt_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void brrt_buf_reset(struct brrt_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

void brrt_buf_free(struct brrt_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void brrt_buf_add(struct brrt_buf *b, const char *s, size_t n)
{
    if (!brrt_buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void brrt_buf_puts(struct brrt_buf *b, const char *s)
{
    brrt_buf_add(b, s, strlen(s));
}

void brrt_buf_printf(struct brrt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        brrt_buf_add(b, small, (size_t)n);
        return;
    }
    if (!brrt_buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void brrt_buf_escaped(struct brrt_buf *b, const char *s, bool quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : (quote && *s == '"') ? "\\\"" : NULL;
        if (!rep)
            continue;
        brrt_buf_add(b, run, (size_t)(s - run));
        brrt_buf_puts(b, rep);
        run = s + 1;
    }
    brrt_buf_add(b, run, (size_t)(s - run));
}

size_t brrt_printable_char(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    if (c < 0x80)
        return c >= 0x20 && c != 0x7f ? 1 : 0;
    size_t n;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0)
        n = 1, cp = c & 0x1Fu, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        n = 2, cp = c & 0x0Fu, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        n = 3, cp = c & 0x07u, min = 0x10000;
    else
        return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((s[k] & 0xC0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
        return 0;
    return n + 1;
}

void brrt_buf_printable(struct brrt_buf *b, const char *s, bool quote)
{
    const char *run = s;
    while (*s) {
        const char *rep = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : (quote && *s == '"') ? "\\\"" : NULL;
        size_t n = rep ? 0 : brrt_printable_char(s);
        if (n) {
            s += n;
            continue;
        }
        brrt_buf_add(b, run, (size_t)(s - run));
        brrt_buf_puts(b, rep ? rep : "?");
        run = ++s;
    }
    brrt_buf_add(b, run, (size_t)(s - run));
}
