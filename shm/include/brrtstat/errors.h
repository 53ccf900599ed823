/* brrtstat error codes: one table, shared by the writer, the readers and the CLI.
 * Every library call returns 0 or one of these (negative) codes. */
#ifndef BRRTSTAT_ERRORS_H
#define BRRTSTAT_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* X(NAME, value, message) */
#define BRRT_ERRNO_MAP(X)                                                                  \
    X(INVAL, -1, "invalid argument")                                                       \
    X(NOMEM, -2, "out of memory")                                                          \
    X(SYSTEM, -3, "system call failed (see errno)")                                        \
    X(NOENT, -4, "no such segment")                                                        \
    X(BUSY, -5, "segment is owned by a running writer")                                    \
    X(FULL, -6, "segment is full")                                                         \
    X(CORRUPT, -7, "segment is corrupt")                                                   \
    X(TRUNCATED, -8, "segment file is truncated")                                          \
    X(VERSION, -9, "segment has an unsupported ABI version")                               \
    X(ENDIAN, -10, "segment was written with another byte order")                          \
    X(INSECURE, -11, "segment file or directory has unsafe ownership, mode or type")       \
    X(NOT_READY, -12, "segment is still being initialised by its writer")                  \
    X(EXISTS, -13, "metric already registered with a different definition")               \
    X(CARDINALITY, -14, "too many label sets; folded into the __other series")                \
    X(CLASH, -15, "metric name clashes with another family's exposition names (NAME_total, "   \
                  "NAME_count, NAME_created...) or the exporter's own brrtstat_segment_/"       \
                  "brrtstat_exporter_ names")

enum brrt_err {
    BRRT_OK = 0,
#define BRRT_ERR_ENUM(name, value, msg) BRRT_E_##name = (value),
    BRRT_ERRNO_MAP(BRRT_ERR_ENUM)
#undef BRRT_ERR_ENUM
};

/* A one-line message for `err` ("success" for 0, "unknown error" for anything else). */
const char *brrt_strerror(int err);
/* The symbolic name, e.g. "BRRT_E_FULL". */
const char *brrt_err_name(int err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
