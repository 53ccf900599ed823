#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_parse_size(const char *text, size_t *out, char *why, size_t whylen)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '-' || *p == '+') {
        snprintf(why, whylen, "\"%s\" is not a size in bytes (decimal or 0x hex)", text);
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) ? 16 : 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end || end == p || v == 0 || v > (1ull << 32)) {
        snprintf(why, whylen, "\"%s\" is not a size in bytes between 1 and 4 GiB (decimal or 0x hex)", text);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int env_size(const char *name, size_t def, size_t *out, char *why, size_t whylen)
{
    const char *v = getenv(name);
    *out = def;
    if (!v)
        return 0;
    char inner[160];
    if (config_parse_size(v, out, inner, sizeof inner) != 0) {
        snprintf(why, whylen, "%s: %s", name, inner);
        return -1;
    }
    return 0;
}

int config_stack_size(const char *handler, size_t *out, char *why, size_t whylen)
{
    size_t lo, hi, size;
    if (env_size("BRRTR_STACK_MIN_BYTES", STACK_MIN_DEFAULT, &lo, why, whylen) ||
        env_size("BRRTR_STACK_MAX_BYTES", STACK_MAX_DEFAULT, &hi, why, whylen) ||
        env_size("BRRTR_STACK_SIZE", STACK_DEFAULT_BYTES, &size, why, whylen))
        return -1;
    if (lo > hi) {
        snprintf(why, whylen, "BRRTR_STACK_MIN_BYTES (%zu) is above BRRTR_STACK_MAX_BYTES (%zu)", lo, hi);
        return -1;
    }
    char var[96] = "BRRTR_STACK_SIZE__";
    size_t n = strlen(var);
    for (const char *h = handler; *h && n + 1 < sizeof var; h++)
        var[n++] = (char)toupper((unsigned char)*h);
    var[n] = '\0';
    if (env_size(var, size, &size, why, whylen))
        return -1;
    *out = size < lo ? lo : size > hi ? hi : size;
    return 0;
}
