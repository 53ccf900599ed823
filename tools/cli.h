/* brrt-stat: what the front ends share. Exit codes come from one table (cli_opts.h), which
 * also produces the text of `brrt-stat --help` and the man page's EXIT STATUS section. */
#ifndef BRRT_STAT_CLI_H
#define BRRT_STAT_CLI_H

#include "cli_opts.h"

#include "brrtstat/reader.h"
#include "brrtstat/render.h"

#include <stdio.h>

/* The exit code for a library error from attaching or reading. */
int cli_exit_for(int brrt_err);
/* Prints the exit-code table (for --help). */
void cli_print_exit_codes(FILE *out);
/* Rewrites `b` for a terminal: every control character but newline, and every invalid byte,
 * becomes '?' (brrt_printable_char's rule). For machine formats written to a terminal. */
void cli_terminal_safe(struct brrt_buf *b);
/* When snapshot `s` skipped invalid directory entries: says so on stderr (how many, the first
 * reason) and returns BRRT_EXIT_PARTIAL in place of OK or WRITER_DOWN; else returns `rc`. */
int cli_report_skipped(const char *segment, brrt_reader *r, const struct brrt_snapshot *s, int rc);
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
