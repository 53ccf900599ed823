/* The thresholds table: every coloured number and every alert threshold of this project, declared
 * once. brrt-stat watch colours its values with it, brrt-stat dashboard writes the Grafana
 * threshold steps and the alert expressions from it (dashboards/), so the terminal, the
 * dashboard and the alerts cannot drift apart. A library of its own (brrtstat_thresholds) with
 * no dependencies, so both front ends link it without depending on each other.
 *
 * X(id, key, what, unit, c0, t1, c1, t2, c2, t3, c3) reads as Grafana threshold steps: colour
 * c0 below t1, c1 from t1 (inclusive), c2 from t2, c3 from t3. The bands are 0..3, named by
 * brrt_band_words ("ok", "warn", "high", "crit"); `key`.`word` names a threshold in the
 * generator's configuration (e.g. cpu.crit = 90). Alerts name the band they fire at
 * (dashboards/alerts.c; the table in docs/dashboard.md says which).
 *   unit: "percent" (0..100) or "s" (seconds) or "short" (a count): what the value is in, in
 *         Grafana's unit names. */
#ifndef BRRTSTAT_THRESHOLDS_H
#define BRRTSTAT_THRESHOLDS_H

#define BRRT_THRESHOLDS(X)                                                                         \
    X(CPU, "cpu", "CPU, % of the CPU limit (of one core without a limit)", "percent", GREEN, 60,   \
      YELLOW, 80, ORANGE, 90, RED)                                                                 \
    X(STACK, "stack", "coroutine stack high-water mark, % of the configured size", "percent",      \
      GREEN, 75, YELLOW, 85, ORANGE, 95, RED)                                                      \
    X(LIMIT, "limit", "memory (RSS) and open files, % of their limit", "percent", GREEN, 70,       \
      YELLOW, 80, ORANGE, 90, RED)                                                                 \
    X(ERRORS_5XX, "errors", "5xx responses, % of all responses", "percent", GREEN, 1, YELLOW, 2,   \
      ORANGE, 5, RED)                                                                              \
    X(LATENCY, "latency", "request latency percentile (p95, p99), seconds", "s", GREEN, 0.1,       \
      YELLOW, 0.5, ORANGE, 1, RED)                                                                 \
    X(ACTIVE, "active", "requests in flight in one process", "short", GREEN, 100, YELLOW, 250,     \
      ORANGE, 500, RED)

/* Colours, in Grafana's names (brrt_colour_names). */
#define BRRT_COLOURS(X) X(NONE, "none") X(GREEN, "green") X(YELLOW, "yellow") X(ORANGE, "orange") X(RED, "red")

enum brrt_colour {
#define BRRT_COLOUR_ENUM(id, name) BRRT_COLOUR_##id,
    BRRT_COLOURS(BRRT_COLOUR_ENUM)
#undef BRRT_COLOUR_ENUM
        BRRT_COLOUR_COUNT
};

enum brrt_threshold {
#define BRRT_TH_ENUM(id, key, what, unit, c0, t1, c1, t2, c2, t3, c3) BRRT_TH_##id,
    BRRT_THRESHOLDS(BRRT_TH_ENUM)
#undef BRRT_TH_ENUM
        BRRT_TH_COUNT
};

enum { BRRT_N_BANDS = 4 };

struct brrt_threshold_def {
    const char *name; /* the id: "CPU" */
    const char *key;  /* configuration prefix: "cpu" */
    const char *what;
    const char *unit;
    double t[BRRT_N_BANDS - 1];
    enum brrt_colour colour[BRRT_N_BANDS];
};

#pragma GCC visibility push(default)

extern const struct brrt_threshold_def brrt_thresholds[BRRT_TH_COUNT];
extern const char *const brrt_colour_names[BRRT_COLOUR_COUNT];
extern const char *const brrt_band_words[BRRT_N_BANDS]; /* "ok", "warn", "high", "crit" */

/* The band (0..3) of `v` under `t` (t[0] < t[1] < t[2]); -1 for NaN. Takes the thresholds as an
 * argument so a caller with adapted values (the generator's configuration) bands the same way. */
int brrt_band_of(const double t[BRRT_N_BANDS - 1], double v);

#pragma GCC visibility pop

#endif
