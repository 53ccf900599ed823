#!/usr/bin/env bash
# One counter, one series name, whatever the exposition: counters named with and without _total
# (brrt-hostile-seg ... counters) served by brrt-stat export, read back
#  - as text 0.0.4 by promtool and prometheus_client's text parser,
#  - as OpenMetrics by prometheus_client's strict parser,
#  - as protobuf by protoc (pb_decode.py),
#  - and ingested by two real Prometheus servers: one with --enable-feature=native-histograms,
#    which scrapes protobuf (proved by plain_seconds arriving as a native histogram), one
#    without, which scrapes OpenMetrics.
# Every reading must name the same series: plain_events_total{kind="a"|"b"}, plain_jobs_total,
# plain_busy_seconds_total, plain_cpu_seconds_total. Usage: test_counter_names.sh BIN_DIR SOURCE_DIR.
# Listens on 127.0.0.1 only; every wait is bounded.
set -euo pipefail
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
for t in prometheus promtool curl python3 protoc; do
    command -v "$t" >/dev/null || { echo "FAIL: $t is not installed (scripts/setup.sh)" >&2; exit 1; }
done
brrt_workdir counter-names
WANT='plain_busy_seconds_total plain_cpu_seconds_total plain_events_total{kind="a"} plain_events_total{kind="b"} plain_jobs_total'

"$BIN/brrt-hostile-seg" "$BRRT_STAT_DIR" plain counters 120 2>"$WORK/writer.log" &
PIDS+=($!)
poll 10 test -e "$BRRT_STAT_DIR/plain" || { fail "the writer created its segment"; brrt_summary; }
start_server "brrt-stat export" "$WORK/export.log" healthz \
    "$BIN/brrt-stat" export --listen "127.0.0.1:{PORT}" --segment plain || exit 1
EXP=127.0.0.1:$SERVER_PORT

# Sorted "name{labels}" of the plain_* counter samples, one line each (labels without segment).
py_names() { # module (prometheus_client.parser | prometheus_client.openmetrics.parser), file
    /usr/bin/python3 -c '
import importlib, sys
parse = importlib.import_module(sys.argv[1]).text_string_to_metric_families
out = set()
for fam in parse(open(sys.argv[2]).read()):
    if fam.type != "counter" or not fam.name.startswith("plain_"):
        continue
    for s in fam.samples:
        if s.name.endswith("_created"):
            continue
        labels = ",".join(f"{k}=\"{v}\"" for k, v in sorted(s.labels.items()))
        out.add(s.name + ("{" + labels + "}" if labels else ""))
print(" ".join(sorted(out)))' "$1" "$2"
}

curl -fs --max-time 10 "http://$EXP/metrics" -o "$WORK/m.prom"
curl -fs --max-time 10 -H 'Accept: application/openmetrics-text;version=1.0.0' "http://$EXP/metrics" -o "$WORK/m.om"
curl -fs --max-time 10 -H 'Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' \
    "http://$EXP/metrics" -o "$WORK/m.pb"
check "text 0.0.4: promtool check metrics is clean" bash -c 'out=$(promtool check metrics <"$1" 2>&1) && [[ -z $out ]]' _ "$WORK/m.prom"
check "text 0.0.4: the counters' samples (prometheus_client's parser)" eq "$(py_names prometheus_client.parser "$WORK/m.prom")" "$WANT"
check "text 0.0.4: the family of a counter without _total is named with it" grep -qx '# TYPE plain_events_total counter' "$WORK/m.prom"
check "OpenMetrics: the counters' samples (the strict parser)" \
    eq "$(py_names prometheus_client.openmetrics.parser "$WORK/m.om")" "$WANT"
check "OpenMetrics: the families are named without _total" \
    bash -c 'grep -qx "# TYPE plain_events counter" "$1" && grep -qx "# TYPE plain_jobs counter" "$1"' _ "$WORK/m.om"
python3 "$SRC/tests/integration/pb_decode.py" "$SRC/tools/export/proto/metrics.proto" <"$WORK/m.pb" >"$WORK/m.pbtxt" 2>"$WORK/pb.log" || true
# Protobuf sample names are their family's name (that is how Prometheus reads them).
pb_counters=$(awk '/^name: "plain_/ { n = $2 } /^type: COUNTER/ && n { gsub(/"/, "", n); print n } /^---/ { n = "" }' \
    "$WORK/m.pbtxt" | sort | tr '\n' ' ')
check "protobuf: the counter families are named with _total" \
    eq "$pb_counters" "plain_busy_seconds_total plain_cpu_seconds_total plain_events_total plain_jobs_total "

# ---- two Prometheus servers, one per format --------------------------------------------------
start_prometheus native plain "$EXP" "" --enable-feature=native-histograms || exit 1
NATIVE=$PROM
start_prometheus classic plain "$EXP" "" || exit 1
CLASSIC=$PROM

# The plain_* counter series a server holds, as "name{labels}" without job and instance; not
# the NAME_created series that Prometheus 2.x stores from OpenMetrics' optional created lines
# (the other formats have none).
prom_names() { # server url
    curl -fsG --max-time 5 "$1/api/v1/series" --data-urlencode 'match[]={__name__=~"plain_(events|jobs|busy|cpu).*"}' |
        /usr/bin/python3 -c '
import json, sys
out = set()
for s in json.load(sys.stdin)["data"]:
    name = s.pop("__name__")
    if name.endswith("_created"):
        continue
    labels = ",".join(f"{k}=\"{v}\"" for k, v in sorted(s.items()) if k not in ("job", "instance", "segment"))
    out.add(name + ("{" + labels + "}" if labels else ""))
print(" ".join(sorted(out)))'
}
has_all() { [[ $(prom_names "$1") == "$WANT" ]]; }
# The native server got plain_seconds as a native histogram: it scraped protobuf.
native_hist() {
    curl -fsG --max-time 5 "$NATIVE/api/v1/query" --data-urlencode 'query=plain_seconds' | grep -q '"histogram"'
}
poll 30 has_all "$NATIVE" || true
poll 30 has_all "$CLASSIC" || true
check "Prometheus with native histograms scraped protobuf (plain_seconds is a native histogram)" poll 10 native_hist
check "Prometheus, protobuf: the counters' series" eq "$(prom_names "$NATIVE")" "$WANT"
check "Prometheus, OpenMetrics: the counters' series" eq "$(prom_names "$CLASSIC")" "$WANT"
brrt_summary
