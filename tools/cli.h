/* brrt-stat: what the front ends share. Exit codes come from one table, which also produces
 * the text of `brrt-stat --help` and the man page's EXIT STATUS section. */
#ifndef BRRT_STAT_CLI_H
#define BRRT_STAT_CLI_H

#include "brrtstat/reader.h"

#include <stdio.h>

/* X(NAME, code, meaning) */
#define BRRT_EXIT_MAP(X)                                                                       \
    X(OK, 0, "success")                                                                        \
    X(FAILURE, 1, "unexpected failure (out of memory, I/O error)")                             \
    X(USAGE, 2, "usage error: bad flag or argument")                                           \
    X(NO_SEGMENT, 3, "no such segment (or none in the directory)")                             \
    X(WRITER_DOWN, 4, "the writer is not running (dead or exited); the data was still shown")  \
    X(INVALID, 5, "the segment is invalid: corrupt, truncated, another version or unsafe")      \
    X(PARTIAL, 6, "some directory entries are invalid: they were skipped (named on stderr), the rest was shown; takes precedence over 4")

enum brrt_exit {
#define BRRT_EXIT_ENUM(name, code, text) BRRT_EXIT_##name = code,
    BRRT_EXIT_MAP(BRRT_EXIT_ENUM)
#undef BRRT_EXIT_ENUM
};

/* The exit code for a library error from attaching or reading. */
int cli_exit_for(int brrt_err);
/* Prints the exit-code table (for --help). */
void cli_print_exit_codes(FILE *out);
/* Prints "brrt-stat: <fmt>" to stderr (as cli_warn) and returns `code`. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "brrt-stat: <fmt>" to stderr, control characters as '?'. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* When snapshot `s` skipped invalid directory entries: says so on stderr (how many, the first
 * reason) and returns BRRT_EXIT_PARTIAL in place of OK or WRITER_DOWN; else returns `rc`. */
int cli_report_skipped(const char *segment, brrt_reader *r, const struct brrt_snapshot *s, int rc);
/* A getopt_long result of ':' (missing value) or anything unknown, as a usage error. */
int cli_option_error(int c, char **argv);
/* A usage error for a positional argument left after the options, else BRRT_EXIT_OK. */
int cli_no_more_args(int argc, char **argv);
/* Parses a positive number of seconds (e.g. "1", "0.5"); 0 on success. */
int cli_parse_seconds(const char *s, double *out);
/* Parses a positive integer; 0 on success. */
int cli_parse_count(const char *s, long *out);

/* Resolves the segment to read: `name` if given, else the only segment in the directory.
 * Writes the chosen name or path into `out`. Returns an exit code. */
int cli_pick_segment(const char *name, char *out, size_t outlen);

int cmd_list(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);

#endif
