#include "human.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void human_bytes(char *out, size_t n, double b)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double a = fabs(b);
    while (a >= 1024 && u < 4) {
        a /= 1024;
        b /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, n, "%.0f B", b);
    else
        snprintf(out, n, a >= 100 ? "%.0f %s" : a >= 10 ? "%.1f %s" : "%.2f %s", b, units[u]);
}

void human_duration(char *out, size_t n, double s)
{
    double a = fabs(s);
    if (isnan(s))
        snprintf(out, n, "-");
    else if (a < 1e-6)
        snprintf(out, n, "%.0f ns", s * 1e9);
    else if (a < 1e-3)
        snprintf(out, n, "%.3g us", s * 1e6);
    else if (a < 1)
        snprintf(out, n, "%.3g ms", s * 1e3);
    else if (a < 60)
        snprintf(out, n, "%.3g s", s);
    else if (a < 3600)
        snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(out, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void human_value(char *out, size_t n, double v, const char *unit)
{
    if (unit && strcmp(unit, "bytes") == 0)
        human_bytes(out, n, v);
    else if (unit && strcmp(unit, "seconds") == 0)
        human_duration(out, n, v);
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, n, "%.0f", v);
    else
        snprintf(out, n, "%.4g", v);
}
