#include "brrtstat/thresholds.h"

#include <math.h>

const struct brrt_threshold_def brrt_thresholds[BRRT_TH_COUNT] = {
#define BRRT_TH_DEF(id, key_, what_, unit_, c0, t1, c1, t2, c2, t3, c3)                            \
    [BRRT_TH_##id] = {.name = #id, .key = key_, .what = what_, .unit = unit_, .t = {t1, t2, t3},    \
                      .colour = {BRRT_COLOUR_##c0, BRRT_COLOUR_##c1, BRRT_COLOUR_##c2, BRRT_COLOUR_##c3}},
    BRRT_THRESHOLDS(BRRT_TH_DEF)
#undef BRRT_TH_DEF
};

const char *const brrt_colour_names[BRRT_COLOUR_COUNT] = {
#define BRRT_COLOUR_NAME(id, name) [BRRT_COLOUR_##id] = name,
    BRRT_COLOURS(BRRT_COLOUR_NAME)
#undef BRRT_COLOUR_NAME
};

const char *const brrt_band_words[BRRT_N_BANDS] = {"ok", "warn", "high", "crit"};

int brrt_band_of(const double t[BRRT_N_BANDS - 1], double v)
{
    if (isnan(v))
        return -1;
    return v >= t[2] ? 3 : v >= t[1] ? 2 : v >= t[0] ? 1 : 0;
}
