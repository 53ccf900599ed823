/* PromQL templates: every query of the dashboard and every alert rule is written once, as a
 * template whose metric names come from the metric catalog (metrics/include/brrtstat/catalog.h),
 * never from a literal. A renamed metric changes every query that uses it; an unknown one
 * fails the generator.
 *
 * Template syntax (everything else is copied as is):
 *   @ID            the catalog metric BRRT_M_ID (e.g. @CPU_SECONDS), with the context's
 *                  selector: process_cpu_seconds_total{job=~"$job",...}
 *   @ID{m}         the same with extra matchers m merged in: @REQUESTS_TOTAL{status=~"5.."}
 *   @ID:bucket     a histogram's _bucket, _sum or _count series (histograms only; a bare
 *   @ID:sum        histogram name is an error: say which series, classic or native)
 *   @ID:count
 *   @ID:native     a histogram's native (sparse) series: the bare name, which exists only in a
 *                  Prometheus that ingests native histograms
 *   @by            the labels of one process (one scrape target)
 *   @svc           the labels of one service
 *   @name(a, b)    the fragment `name` (pq_fragments) with @1, @2 replaced by a, b; wrapped in
 *   @name          parentheses unless it is a single term, so precedence never changes
 *   @1 .. @9       a fragment's arguments
 * Any other '@' is an error (PromQL's own @ modifier is not used by the dashboard or the rules).
 */
#ifndef BRRT_DASH_PROMQL_H
#define BRRT_DASH_PROMQL_H

#include <stddef.h>

struct pq_ctx {
    const char *sel; /* matchers every metric reference gets, without braces; "" for none */
    const char *by;  /* grouping labels of one process */
    const char *svc; /* grouping labels of one service */
};

/* The grouping labels both the dashboard and the rules use (@by and @svc).
 * One process = one segment: `brrt-stat export --all` serves several processes' segments
 * from one target (one pod, one instance) and tells them apart by the `segment` label, so a
 * per-process query that dropped it would merge processes (sum their RSS, divide the largest
 * stack use by the largest stack size). Outside --all the label is absent, which groups as
 * one value. Service-level queries aggregate over processes on purpose. */
#define PQ_BY_PROCESS "job, namespace, pod, instance, segment"
#define PQ_BY_SERVICE "job, namespace"

/* Expands template `t`. Returns a malloc'd string, or NULL with a message in `err` for a bad
 * template (unknown metric or fragment, unbalanced brackets, misuse of a histogram). */
char *pq_expand(const char *t, const struct pq_ctx *ctx, char *err, size_t errlen);

#endif
