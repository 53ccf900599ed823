#include "cli_opts.h"

#include "brrtstat/render.h"
#include "brrtstat/version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cli_prog = "brrt-stat";

int cli_fail(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_warn("%s", msg);
    return code;
}

void cli_warn(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct brrt_buf b = {0};
    brrt_buf_puts(&b, cli_prog);
    brrt_buf_puts(&b, ": ");
    brrt_buf_printable(&b, msg, false);
    brrt_buf_puts(&b, "\n");
    if (!b.failed)
        fputs(b.data, stderr);
    brrt_buf_free(&b);
}

int cli_option_error(int c, char **argv)
{
    /* A long option is named by its word; an unknown short one (perhaps inside "-xv") by
     * getopt's optopt, as argv[optind - 1] may be the whole cluster. */
    const char *word = argv[optind - 1];
    char shortopt[3] = {'-', (char)optopt, '\0'};
    if (optopt && strncmp(word, "--", 2) != 0)
        word = shortopt;
    if (c == ':')
        return cli_fail(BRRT_EXIT_USAGE, "%s needs a value (see --help)", word);
    return cli_unknown_option(word);
}

int cli_unknown_option(const char *word)
{
    return cli_fail(BRRT_EXIT_USAGE, "unknown option \"%s\" (see --help)", word);
}

int cli_no_more_args(int argc, char **argv)
{
    return optind < argc ? cli_unexpected_argument(argv[optind]) : BRRT_EXIT_OK;
}

int cli_unexpected_argument(const char *word)
{
    return cli_fail(BRRT_EXIT_USAGE, "unexpected argument \"%s\" (see --help)", word);
}

int cli_version(const char *program)
{
    printf("%s %s\n", program, BRRT_VERSION);
    return BRRT_EXIT_OK;
}
