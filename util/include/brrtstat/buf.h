/* A growable text buffer and the number formatting every text output shares (Prometheus,
 * text, JSON, the TUI, the dashboard's PromQL). Compiled into libbrrtstat-reader, whose
 * renderers write into it and which exports these functions; programs that need only the
 * buffer (brrt-stat-dashboard) link the private brrt_util objects instead. */
#ifndef BRRTSTAT_BUF_H
#define BRRTSTAT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BRRT_BUF_API __attribute__((visibility("default")))

/* A growable text buffer, NUL-terminated once anything was added. A zeroed struct is an empty
 * buffer. On allocation failure `failed` is set and appends are dropped. */
struct brrt_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
};

/* Makes room for `extra` more bytes and the terminating NUL: then b->data + b->len may be
 * written directly (and b->len advanced). False when the buffer has failed. */
BRRT_BUF_API bool brrt_buf_reserve(struct brrt_buf *b, size_t extra);
BRRT_BUF_API void brrt_buf_reset(struct brrt_buf *b);
BRRT_BUF_API void brrt_buf_free(struct brrt_buf *b);
BRRT_BUF_API void brrt_buf_add(struct brrt_buf *b, const char *s, size_t n);
BRRT_BUF_API void brrt_buf_puts(struct brrt_buf *b, const char *s);
BRRT_BUF_API void brrt_buf_printf(struct brrt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends `s` with \\ and newline escaped (and " when `quote`): Prometheus label values and
 * help text, and the text front ends' label values. */
BRRT_BUF_API void brrt_buf_escaped(struct brrt_buf *b, const char *s, bool quote);

/* Terminal safety for text meant for people (text snapshots, list, error messages, the TUI):
 * the length in bytes of the character at `s` if it is valid UTF-8 and printable (no C0 or C1
 * control, no DEL), else 0 (show one '?' for the byte and go on with the next). */
BRRT_BUF_API size_t brrt_printable_char(const char *s);
/* Appends `s` like brrt_buf_escaped, with every other control character or invalid byte as
 * '?': no byte of a segment's strings can move the cursor or change a terminal's state. */
BRRT_BUF_API void brrt_buf_printable(struct brrt_buf *b, const char *s, bool quote);

/* Room brrt_fmt_double needs for the fast path (any double, NUL included), and the
 * integer formatters always. */
#define BRRT_FMT_DOUBLE_MAX 32
#define BRRT_FMT_INT_MAX 21
/* Shortest decimal that reads back as the same double; "NaN", "+Inf", "-Inf"; integral values
 * below 1e15 without exponent or point; '.' whatever the locale. Returns the length written
 * (NUL not counted). Definition and fast paths: util/fmt.c. */
BRRT_BUF_API size_t brrt_fmt_double(char *out, size_t outlen, double v);
/* The exact decimal of v (as %PRIu64 / %PRId64) into out[BRRT_FMT_INT_MAX]; returns its length. */
BRRT_BUF_API size_t brrt_fmt_u64(char *out, uint64_t v);
BRRT_BUF_API size_t brrt_fmt_i64(char *out, int64_t v);

#ifdef __cplusplus
}
#endif

#endif
