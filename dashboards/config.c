/* The generator's adaptable settings (see dash.h): the thresholds table's values, the rules'
 * selector, the traffic guard, the runbook location. Defaults come from the thresholds table
 * (metrics/include/brrtstat/thresholds.h) and from DASH_PARAMS; `key = value` lines of a config
 * file and --set KEY=VALUE change them, so nobody edits a generated file. */
#include "dash.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key, *def, *help;
    char type;
} PARAMS[DP_COUNT] = {
#define DP_ROW(id, key, type, def, help) [DP_##id] = {key, def, help, type},
    DASH_PARAMS(DP_ROW)
#undef DP_ROW
};

void dash_config_defaults(struct dash_config *c)
{
    memset(c, 0, sizeof *c);
    for (int t = 0; t < BRRT_TH_COUNT; t++)
        for (int i = 0; i < BRRT_N_BANDS - 1; i++)
            c->th[t][i] = brrt_thresholds[t].t[i];
    for (int p = 0; p < DP_COUNT; p++)
        snprintf(c->param[p], sizeof c->param[p], "%s", PARAMS[p].def);
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* A PromQL duration of one unit (30s, 5m, 1h, 1d) in seconds; 0 when it is not one. */
static double duration_seconds(const char *s)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    if (end == s || errno || n == 0 || !*end || end[1] || !isdigit((unsigned char)s[0]))
        return 0;
    switch (*end) {
    case 's': return (double)n;
    case 'm': return (double)n * 60;
    case 'h': return (double)n * 3600;
    case 'd': return (double)n * 86400;
    default: return 0;
    }
}

int dash_config_set(struct dash_config *c, const char *key, const char *value, char *err, size_t errlen)
{
    /* a threshold: KEY.BAND (cpu.warn, stack.crit, ...) */
    const char *dot = strchr(key, '.');
    if (dot) {
        for (int t = 0; t < BRRT_TH_COUNT; t++) {
            if (strlen(brrt_thresholds[t].key) != (size_t)(dot - key) ||
                strncmp(brrt_thresholds[t].key, key, (size_t)(dot - key)) != 0)
                continue;
            for (int i = 1; i < BRRT_N_BANDS; i++) {
                if (strcmp(dot + 1, brrt_band_words[i]) != 0)
                    continue;
                double v;
                if (!parse_number(value, &v)) {
                    snprintf(err, errlen, "%s: \"%s\" is not a number", key, value);
                    return -1;
                }
                double t3[BRRT_N_BANDS - 1];
                memcpy(t3, c->th[t], sizeof t3);
                t3[i - 1] = v;
                if (!(t3[0] < t3[1] && t3[1] < t3[2])) {
                    snprintf(err, errlen, "%s = %s: the %s thresholds must ascend (%s.warn < .high < .crit)",
                             key, value, brrt_thresholds[t].key, brrt_thresholds[t].key);
                    return -1;
                }
                memcpy(c->th[t], t3, sizeof t3);
                return 0;
            }
        }
        snprintf(err, errlen, "unknown threshold \"%s\" (ROW.warn, ROW.high or ROW.crit; rows: see --help)", key);
        return -1;
    }
    for (int p = 0; p < DP_COUNT; p++) {
        if (strcmp(PARAMS[p].key, key) != 0)
            continue;
        double v;
        if (PARAMS[p].type == 'n' && (!parse_number(value, &v) || v < 0)) {
            snprintf(err, errlen, "%s: \"%s\" is not a number >= 0", key, value);
            return -1;
        }
        if (PARAMS[p].type == 'd' && duration_seconds(value) <= 0) {
            snprintf(err, errlen, "%s: \"%s\" is not a duration (30s, 5m, 1h, 1d)", key, value);
            return -1;
        }
        if (PARAMS[p].type == 's' && strpbrk(value, "{}`")) {
            snprintf(err, errlen, "%s: no braces or backquotes in the value", key);
            return -1;
        }
        if (strlen(value) >= sizeof c->param[p]) {
            snprintf(err, errlen, "%s: value too long", key);
            return -1;
        }
        for (const unsigned char *q = (const unsigned char *)value; *q; q++)
            if (*q < 0x20 || *q == 0x7f) {
                snprintf(err, errlen, "%s: control character in the value", key);
                return -1;
            }
        snprintf(c->param[p], sizeof c->param[p], "%s", value);
        return 0;
    }
    snprintf(err, errlen, "unknown setting \"%s\"", key);
    return -1;
}

/* "KEY=VALUE" or "KEY = VALUE" (spaces around both trimmed). */
int dash_config_assign(struct dash_config *c, const char *assignment, char *err, size_t errlen)
{
    char buf[1024];
    if (strlen(assignment) >= sizeof buf) {
        snprintf(err, errlen, "setting too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", assignment);
    char *eq = strchr(buf, '=');
    if (!eq) {
        snprintf(err, errlen, "\"%s\": expected KEY=VALUE", assignment);
        return -1;
    }
    *eq = '\0';
    char *k = buf, *v = eq + 1;
    while (isspace((unsigned char)*k))
        k++;
    for (char *e = k + strlen(k); e > k && isspace((unsigned char)e[-1]);)
        *--e = '\0';
    while (isspace((unsigned char)*v))
        v++;
    for (char *e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
        *--e = '\0';
    return dash_config_set(c, k, v, err, errlen);
}

int dash_config_load(struct dash_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024], why[256];
    int n = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        if (dash_config_assign(c, p, why, sizeof why)) {
            snprintf(err, errlen, "%s:%d: %s", path, n, why);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

const char *dash_param(const struct dash_config *c, enum dash_param p) { return c->param[p]; }

int dash_config_value(const struct dash_config *c, const char *name, char *out, size_t outlen)
{
    char key[64];
    snprintf(key, sizeof key, "%s", name);
    char *colon = strchr(key, ':');
    bool seconds = colon && strcmp(colon, ":s") == 0;
    if (colon && !seconds)
        return -1;
    if (colon)
        *colon = '\0';
    const char *dot = strchr(key, '.');
    for (int t = 0; dot && !seconds && t < BRRT_TH_COUNT; t++) {
        if (strlen(brrt_thresholds[t].key) != (size_t)(dot - key) ||
            strncmp(brrt_thresholds[t].key, key, (size_t)(dot - key)) != 0)
            continue;
        for (int i = 1; i < BRRT_N_BANDS; i++)
            if (strcmp(dot + 1, brrt_band_words[i]) == 0) {
                snprintf(out, outlen, "%.15g", c->th[t][i - 1]);
                return 0;
            }
    }
    for (int p = 0; !dot && p < DP_COUNT; p++) {
        if (strcmp(PARAMS[p].key, key) != 0)
            continue;
        if (seconds && PARAMS[p].type != 'd')
            return -1;
        if (seconds)
            snprintf(out, outlen, "%.0f", duration_seconds(c->param[p]));
        else
            snprintf(out, outlen, "%s", c->param[p]);
        return 0;
    }
    return -1;
}

char *dash_config_subst(const struct dash_config *c, const char *t, char *err, size_t errlen)
{
    size_t cap = strlen(t) + 1, len = 0;
    for (const char *p = t; (p = strstr(p, "%{")) != NULL; p += 2)
        cap += sizeof c->param[0];
    char *out = malloc(cap);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (const char *p = t; *p;) {
        const char *close = strncmp(p, "%{", 2) == 0 ? strchr(p, '}') : NULL;
        if (!close) {
            out[len++] = *p++;
            continue;
        }
        char name[64], value[sizeof c->param[0]];
        snprintf(name, sizeof name, "%.*s", (int)(close - p - 2), p + 2);
        if (dash_config_value(c, name, value, sizeof value)) {
            snprintf(err, errlen, "unknown setting %%{%s}", name);
            free(out);
            return NULL;
        }
        memcpy(out + len, value, strlen(value));
        len += strlen(value);
        p = close + 1;
    }
    out[len] = '\0';
    return out;
}

double dash_threshold(const struct dash_config *c, enum brrt_threshold t, int band)
{
    return c->th[t][band - 1];
}

void dash_config_help(FILE *f)
{
    fprintf(f, "settings (--set KEY=VALUE, or KEY = VALUE lines of --config FILE):\n");
    for (int p = 0; p < DP_COUNT; p++)
        fprintf(f, "  %-22s %s (default \"%s\")\n", PARAMS[p].key, PARAMS[p].help, PARAMS[p].def);
    fprintf(f, "  ROW.warn, ROW.high, ROW.crit  the thresholds table (yellow, orange, red from):\n");
    for (int t = 0; t < BRRT_TH_COUNT; t++)
        fprintf(f, "    %-8s %g %g %g  %s\n", brrt_thresholds[t].key, brrt_thresholds[t].t[0],
                brrt_thresholds[t].t[1], brrt_thresholds[t].t[2], brrt_thresholds[t].what);
}

int dash_config_markdown(FILE *f)
{
    fprintf(f, "## Thresholds\n\n"
               "The one thresholds table (`BRRT_THRESHOLDS`, metrics/include/brrtstat/thresholds.h): "
               "`brrt-stat watch` colours with it, the panels' steps and the alert thresholds are "
               "written from it. A value takes the colour of the highest threshold it reaches "
               "(inclusive). Adapt with `--set ROW.BAND=VALUE`.\n\n"
               "| row | value | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n",
               brrt_band_words[0], brrt_band_words[1], brrt_band_words[2], brrt_band_words[3]);
    for (int t = 0; t < BRRT_TH_COUNT; t++) {
        const struct brrt_threshold_def *d = &brrt_thresholds[t];
        fprintf(f, "| `%s` | %s | %s < %g | %s from %g | %s from %g | %s from %g |\n", d->key, d->what,
                brrt_colour_names[d->colour[0]], d->t[0], brrt_colour_names[d->colour[1]], d->t[0],
                brrt_colour_names[d->colour[2]], d->t[1], brrt_colour_names[d->colour[3]], d->t[2]);
    }
    fprintf(f, "\n## Settings\n\n"
               "`brrt-stat dashboard --set KEY=VALUE` (repeatable) or `--config FILE` (`KEY = VALUE` "
               "lines, `#` comments); the committed files use the defaults.\n\n"
               "| key | default | meaning |\n|---|---|---|\n");
    for (int p = 0; p < DP_COUNT; p++)
        fprintf(f, "| `%s` | `%s` | %s |\n", PARAMS[p].key, PARAMS[p].def, PARAMS[p].help);
    fprintf(f, "\n");
    return 0;
}
