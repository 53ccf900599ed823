/* The command line every brrtstat program shares: exit codes from one table, one style of
 * usage error ("brrt-demo: unknown option "--x" (see --help)") and of --version
 * ("brrt-demo 0.1.0"). Needs only the reader library (printable messages), so brrt-demo,
 * brrt-bench and brrt-example link it as well as the brrt-stat front ends (which get it
 * through brrt_cli, cli.h). */
#ifndef BRRT_STAT_CLI_OPTS_H
#define BRRT_STAT_CLI_OPTS_H

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

/* The name that prefixes messages: "brrt-stat" unless a program sets its own in main(). */
extern const char *cli_prog;

/* Prints "<cli_prog>: <fmt>" to stderr (as cli_warn) and returns `code`. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "<cli_prog>: <fmt>" to stderr, control characters as '?' (messages quote names and
 * reasons from segment files: no terminal escapes get through). */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A getopt_long result of ':' (missing value) or '?' (unknown option) as a usage error:
 * "unknown option "--x" (see --help)" / "--segment needs a value (see --help)". The option
 * string must start with ':' so that getopt itself prints nothing. */
int cli_option_error(int c, char **argv);
/* The same usage errors for a program without getopt: "unknown option "WORD" (see --help)",
 * "unexpected argument "WORD" (see --help)". */
int cli_unknown_option(const char *word);
int cli_unexpected_argument(const char *word);
/* A usage error for a positional argument left after the options, else BRRT_EXIT_OK. */
int cli_no_more_args(int argc, char **argv);
/* --version: prints "<program> <version>" to stdout (e.g. "brrt-stat 0.1.0"); returns
 * BRRT_EXIT_OK. */
int cli_version(const char *program);

#endif
