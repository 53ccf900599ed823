/* brrt-stat: one command, several front ends. list and snapshot run in this process; watch,
 * export and dashboard are separate programs next to this one (brrt-stat-watch, ...), so that
 * each links only its own dependency (ncurses, libmicrohttpd). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#define BRRT_COMMANDS(X)                                                                       \
    X("list", cmd_list, "segments in the directory and their writers' state")                  \
    X("snapshot", cmd_snapshot, "one-shot or interval view: text, json or prometheus")

#define BRRT_EXTERNAL_COMMANDS(X)                                                              \
    X("watch", "live terminal dashboard (brrt-stat-watch)")                                    \
    X("export", "Prometheus exporter (brrt-stat-export)")                                      \
    X("dashboard", "Grafana dashboard ConfigMap and alert rules (brrt-stat-dashboard)")

static void usage(FILE *out)
{
    fprintf(out, "usage: brrt-stat COMMAND [OPTIONS]   (brrt-stat COMMAND --help for its options)\n"
                 "       brrt-stat --version\n\n");
#define CMD_LINE(name, fn, text) fprintf(out, "  %-10s %s\n", name, text);
#define EXT_LINE(name, text) fprintf(out, "  %-10s %s\n", name, text);
    BRRT_COMMANDS(CMD_LINE)
    BRRT_EXTERNAL_COMMANDS(EXT_LINE)
#undef CMD_LINE
#undef EXT_LINE
    fprintf(out, "\nSegments are read from $BRRT_STAT_DIR (default /dev/shm/brrtstat).\n\nexit status:\n");
    cli_print_exit_codes(out);
}

/* Runs brrt-stat-NAME from this program's directory. */
static int run_external(const char *name, char **argv)
{
    char self[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return cli_fail(BRRT_EXIT_FAILURE, "cannot find my own path: %s", strerror(errno));
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(path, sizeof path, "%s/brrt-stat-%s", self, name);
    execv(path, argv);
    return cli_fail(BRRT_EXIT_FAILURE, "cannot run %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr), BRRT_EXIT_USAGE;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return usage(stdout), BRRT_EXIT_OK;
    if (strcmp(cmd, "--version") == 0)
        return cli_version("brrt-stat");
#define CMD_DISPATCH(name, fn, text)                                                           \
    if (strcmp(cmd, name) == 0)                                                                \
        return fn(argc - 1, argv + 1);
    BRRT_COMMANDS(CMD_DISPATCH)
#undef CMD_DISPATCH
#define EXT_DISPATCH(name, text)                                                               \
    if (strcmp(cmd, name) == 0)                                                                \
        return run_external(name, argv + 1);
    BRRT_EXTERNAL_COMMANDS(EXT_DISPATCH)
#undef EXT_DISPATCH
    if (cmd[0] == '-')
        return cli_unknown_option(cmd);
    return cli_fail(BRRT_EXIT_USAGE, "unknown command \"%s\" (see --help)", cmd);
}
