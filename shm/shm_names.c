#include "brrtstat/shm_names.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool name_valid(const char *s, size_t max, bool colon)
{
    if (!s || !*s || strlen(s) > max)
        return false;
    if (!is_alpha_(s[0]) && !(colon && s[0] == ':'))
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!is_alpha_(*p) && !is_digit(*p) && !(colon && *p == ':'))
            return false;
    return true;
}

bool brrt_shm_metric_name_valid(const char *s)
{
    return name_valid(s, 200, true);
}

bool brrt_shm_label_name_valid(const char *s)
{
    return name_valid(s, 100, false) && strncmp(s, "__", 2) != 0;
}

bool brrt_shm_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

static bool name_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int brrt_shm_expo_names(const char *name, bool counter, bool histogram,
                        char out[BRRT_EXPO_NAMES][BRRT_EXPO_NAME_MAX])
{
    int k = 0;
    snprintf(out[k++], BRRT_EXPO_NAME_MAX, "%s", name);
    if (counter) {
        int len = (int)strlen(name) - (name_ends_with(name, "_total") ? 6 : 0);
        snprintf(out[k++], BRRT_EXPO_NAME_MAX, "%.*s", len, name);
        snprintf(out[k++], BRRT_EXPO_NAME_MAX, "%.*s_total", len, name);
        snprintf(out[k++], BRRT_EXPO_NAME_MAX, "%.*s_created", len, name);
    } else if (histogram) {
        static const char *const sfx[] = {"_bucket", "_sum", "_count", "_created"};
        for (int i = 0; i < 4; i++)
            snprintf(out[k++], BRRT_EXPO_NAME_MAX, "%s%s", name, sfx[i]);
    }
    return k;
}
