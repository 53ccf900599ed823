/* Container limits from cgroups: v2 (memory.max, cpu.max) or, on hybrid/v1 hosts,
 * memory.limit_in_bytes and cpu.cfs_quota_us / cpu.cfs_period_us. The effective limit is the
 * tightest one from the process's cgroup up to the root. */
#include "writer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V1_UNLIMITED 4.6e18 /* v1 reports "unlimited" as ~2^63 rounded to a page */

/* Reads up to two numbers (or "max") from a one-line file; returns how many were numbers. */
static int read_values(const char *path, double *a, double *b)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char x[64] = "", y[64] = "";
    int n = fscanf(f, "%63s %63s", x, y);
    fclose(f);
    if (n < 1 || strcmp(x, "max") == 0)
        return 0;
    *a = strtod(x, NULL);
    if (n == 2)
        *b = strtod(y, NULL);
    return n;
}

/* Limit of one kind at `dir` (a cgroup directory), < 0 when none. */
static double limit_at(const char *dir, bool v2, bool memory)
{
    char path[1400];
    double a = -1, b = -1;
    if (memory) {
        snprintf(path, sizeof path, "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
        if (read_values(path, &a, &b) < 1 || a <= 0 || a >= V1_UNLIMITED)
            return -1;
        return a;
    }
    if (v2) {
        snprintf(path, sizeof path, "%s/cpu.max", dir);
        if (read_values(path, &a, &b) < 2 || a <= 0 || b <= 0)
            return -1;
        return a / b;
    }
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (read_values(path, &a, &b) < 1 || a <= 0)
        return -1;
    snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
    if (read_values(path, &b, &b) < 1 || b <= 0)
        return -1;
    return a / b;
}

/* Walks from `root`+`cg` up to `root`, keeping the smallest limit. */
static double walk(const char *root, const char *cg_in, bool v2, bool memory)
{
    char cg[1024];
    snprintf(cg, sizeof cg, "%s", cg_in);
    double best = -1;
    for (;;) {
        char dir[1200];
        snprintf(dir, sizeof dir, "%s%s", root, strcmp(cg, "/") == 0 ? "" : cg);
        double v = limit_at(dir, v2, memory);
        if (v > 0 && (best < 0 || v < best))
            best = v;
        char *slash = strrchr(cg, '/');
        if (!slash || strcmp(cg, "/") == 0)
            return best;
        if (slash == cg)
            snprintf(cg, sizeof cg, "/");
        else
            *slash = '\0';
    }
}

static bool has_controller(const char *list, const char *name)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, name) == 0)
            return true;
    return false;
}

void brrt__cgroup_limits(const char *proc_cgroup, const char *root, double *mem, double *cpu)
{
    *mem = *cpu = -1;
    FILE *f = fopen(proc_cgroup, "r");
    if (!f)
        return;
    char line[1200];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrl = c1 + 1, *path = c2 + 1;
        char base[1100];
        if (*ctrl == '\0') { /* v2 unified hierarchy; on hybrid hosts it lives in unified/ */
            snprintf(base, sizeof base, "%s", root);
            double m = walk(base, path, true, true), c = walk(base, path, true, false);
            snprintf(base, sizeof base, "%s/unified", root);
            if (m < 0)
                m = walk(base, path, true, true);
            if (c < 0)
                c = walk(base, path, true, false);
            if (m > 0)
                *mem = m;
            if (c > 0)
                *cpu = c;
        } else if (has_controller(ctrl, "memory") && *mem < 0) {
            snprintf(base, sizeof base, "%s/memory", root);
            *mem = walk(base, path, false, true);
        } else if (has_controller(ctrl, "cpu") && *cpu < 0) {
            snprintf(base, sizeof base, "%s/%s", root, ctrl);
            *cpu = walk(base, path, false, false);
            if (*cpu < 0) {
                snprintf(base, sizeof base, "%s/cpu", root);
                *cpu = walk(base, path, false, false);
            }
        }
    }
    fclose(f);
}
