#include "cli.h"

#include "brrtstat/render.h"
#include "brrtstat/shm_path.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_for(int err)
{
    switch (err) {
    case BRRT_OK:
        return BRRT_EXIT_OK;
    case BRRT_E_INVAL:
        return BRRT_EXIT_USAGE;
    case BRRT_E_NOENT:
        return BRRT_EXIT_NO_SEGMENT;
    case BRRT_E_CORRUPT:
    case BRRT_E_TRUNCATED:
    case BRRT_E_VERSION:
    case BRRT_E_ENDIAN:
    case BRRT_E_INSECURE:
    case BRRT_E_NOT_READY:
        return BRRT_EXIT_INVALID;
    default:
        return BRRT_EXIT_FAILURE;
    }
}

void cli_print_exit_codes(FILE *out)
{
#define BRRT_EXIT_LINE(name, code, text) fprintf(out, "  %d  %s\n", code, text);
    BRRT_EXIT_MAP(BRRT_EXIT_LINE)
#undef BRRT_EXIT_LINE
}

void cli_terminal_safe(struct brrt_buf *b)
{
    if (!b->data || b->failed)
        return;
    char *w = b->data;
    for (const char *r = b->data; *r;) {
        size_t n = *r == '\n' ? 1 : brrt_printable_char(r);
        if (n) {
            memmove(w, r, n);
            w += n;
            r += n;
        } else {
            *w++ = '?';
            r++;
        }
    }
    *w = '\0';
    b->len = (size_t)(w - b->data);
}

int cli_report_skipped(const char *segment, brrt_reader *r, const struct brrt_snapshot *s, int rc)
{
    if (!s || !s->info.skipped_entries)
        return rc;
    const char *why = brrt_reader_skipped_why(r);
    cli_warn("%s: %u invalid directory entries skipped, the rest is shown; the first: %s", segment,
             s->info.skipped_entries, why ? why : "?");
    return rc == BRRT_EXIT_OK || rc == BRRT_EXIT_WRITER_DOWN ? BRRT_EXIT_PARTIAL : rc;
}

int cli_parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 86400)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_count(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 100000000)
        return -1;
    *out = v;
    return 0;
}

int cli_pick_segment(const char *name, char *out, size_t outlen)
{
    if (name) {
        if (!strchr(name, '/') && !brrt_shm_name_valid(name))
            return cli_fail(BRRT_EXIT_USAGE, "\"%s\" is not a valid segment name", name);
        if (strlen(name) >= outlen || strlen(name) >= BRRT_SHM_PATH_MAX)
            return cli_fail(BRRT_EXIT_USAGE, "--segment is %zu bytes long; at most %d", strlen(name),
                            BRRT_SHM_PATH_MAX - 1);
        memcpy(out, name, strlen(name) + 1);
        return BRRT_EXIT_OK;
    }
    const char *dir = brrt_shm_dir();
    DIR *d = opendir(dir);
    if (!d)
        return cli_fail(BRRT_EXIT_NO_SEGMENT, "cannot read segment directory %s: %s", dir, strerror(errno));
    int found = 0;
    char first[256] = "", names[512] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!brrt_shm_name_valid(e->d_name))
            continue;
        if (found++ == 0)
            snprintf(first, sizeof first, "%s", e->d_name);
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", e->d_name);
    }
    closedir(d);
    if (found == 0)
        return cli_fail(BRRT_EXIT_NO_SEGMENT, "no segments in %s (is the writer running? is BRRT_STAT_DIR right?)", dir);
    if (found > 1)
        return cli_fail(BRRT_EXIT_USAGE, "%d segments in %s (%s): choose one with --segment", found, dir, names);
    snprintf(out, outlen, "%s", first);
    return BRRT_EXIT_OK;
}
