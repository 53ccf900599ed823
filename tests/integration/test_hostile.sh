#!/usr/bin/env bash
# Hostile files against brrt-stat: a FIFO at a segment name (list, snapshot and
# export --all must not block; /healthz and SIGTERM keep working), terminal escapes in label
# values, help texts and names quoted by error messages (never reach a terminal), a segment
# with an invalid directory entry (the rest is served, exit status 6, counted by the
# exporter), a missing segment's heartbeat age (NaN, never a fresh-looking 0).
# usage: test_hostile.sh BIN_DIR SOURCE_DIR. Listens on 127.0.0.1 only; about 10 s.
set -euo pipefail
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
STAT=$BIN/brrt-stat
brrt_workdir hostile

# run TAG CMD...: stdout -> $WORK/TAG.out, stderr -> $WORK/TAG.err, status -> $RC (10 s cap)
RC=0
run() {
    local tag=$1
    shift
    RC=0
    timeout 10 "$@" >"$WORK/$tag.out" 2>"$WORK/$tag.err" || RC=$?
    brrt_log "$WORK/$tag.err"
}
no_control() { # file: no C0 control other than newline, no DEL, no C1 (UTF-8 C2 80..9F)
    if LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"; then
        echo "  control characters in $1:" >&2
        LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1" | cat -v | head -5 >&2
        return 1
    fi
}

"$BIN/brrt-hostile-seg" "$BRRT_STAT_DIR" escapes escapes
"$BIN/brrt-hostile-seg" "$BRRT_STAT_DIR" badentry badentry
mkfifo -m 0640 "$BRRT_STAT_DIR/fifo"

# ---- FIFO at a segment name -----------------------------------------------------------------
# Prometheus format: exact bytes into a file or pipe (for promtool/Prometheus), but on a
# terminal (script(1) gives it a pty; -onlcr keeps newlines as they are) no control character.
run esc_prom "$STAT" snapshot -s escapes -f prometheus
check "prometheus format into a file: the exact label bytes (ESC kept, escaped only as the format says)" \
    grep -qF $'who="red\e[31m bell\a cr\r c1\xc2\x9b end"' "$WORK/esc_prom.out"
script -qec "stty -onlcr; '$STAT' snapshot -s escapes -f prometheus" /dev/null >"$WORK/esc_tty.out" 2>&1 || true
check "prometheus format on a terminal: no control characters" no_control "$WORK/esc_tty.out"
check "prometheus format on a terminal: ESC, BEL, CR and C1 shown as ?; the help text too" \
    bash -c 'grep -qF "who=\"red?[31m bell? cr? c1?? end\"" "$1" && grep -qF "# HELP hostile_events_total Help with ?]0;title? and ?[2J." "$1"' _ "$WORK/esc_tty.out"

run list "$STAT" list
check "list returns despite a FIFO in the directory (status 6: badentry), no timeout" eq "$RC" 6
check "list: the FIFO is invalid, not a regular file" \
    grep -qE '^fifo +- +invalid +not a regular file$' "$WORK/list.out"
run snap_fifo "$STAT" snapshot -s fifo
check "snapshot of a FIFO: status 5 at once" eq "$RC" 5
check "snapshot of a FIFO: says it is not a regular file" grep -q 'not a regular file' "$WORK/snap_fifo.err"

# ---- terminal escapes ------------------------------------------------------------------------
run esc_text "$STAT" snapshot -s escapes -f text
check "text snapshot of hostile label values: status 4 (its writer exited)" eq "$RC" 4
check "text snapshot: no control characters reach the terminal" no_control "$WORK/esc_text.out"
check "text snapshot: they are shown as ? (ESC BEL CR and the two C1 bytes)" \
    grep -qF 'who="red?[31m bell? cr? c1?? end"' "$WORK/esc_text.out"
check "list: no control characters" no_control "$WORK/list.out"
run bad_text "$STAT" snapshot -s badentry -f text
check "error message quoting a hostile name: no control characters" no_control "$WORK/bad_text.err"
check "error message: the name with ? for ESC and BEL" grep -qF '"evil?[2J?names_t" is not a valid metric name' "$WORK/bad_text.err"

# ---- an invalid directory entry: the rest is served, status 6 ---------------------------------
check "invalid entry: status 6 (documented: some entries skipped)" eq "$RC" 6
check "invalid entry: the entry before it is served (good_total 42)" \
    grep -qE '^  good_total +42$' "$WORK/bad_text.out"
check "invalid entry: the entry after it is served (after_bad 7)" grep -qE '^  after_bad +7$' "$WORK/bad_text.out"
check "invalid entry: stderr counts it and names entry 2" \
    grep -qF 'badentry: 1 invalid directory entries skipped, the rest is shown; the first: directory entry 2:' "$WORK/bad_text.err"
check "list: the skipped entry is shown under its segment" \
    grep -qF '1 invalid entries skipped; the first: directory entry 2: "evil?[2J?names_t"' "$WORK/list.out"
run bad_prom "$STAT" snapshot -s badentry -f prometheus
check "invalid entry, prometheus format: status 6, good_total served" \
    bash -c '[[ $1 == 6 ]] && grep -qx "good_total 42" "$2"' _ "$RC" "$WORK/bad_prom.out"

# ---- the exporter ------------------------------------------------------------------------------
# start_export LOG DIR ARGS...: brrt-stat export ARGS with BRRT_STAT_DIR=DIR, through
# start_server (lib.sh: a free port, retried on a clash, /healthz answered); sets PORT and EXP.
start_export() {
    local log=$1 dir=$2
    shift 2
    start_server "brrt-stat export" "$log" healthz \
        env BRRT_STAT_DIR="$dir" "$STAT" export --listen "127.0.0.1:{PORT}" "$@" || return 1
    PORT=$SERVER_PORT
    EXP=$SERVER_PID
}
check "export --all with a FIFO in the directory: /healthz answers" start_export "$WORK/export.log" "$BRRT_STAT_DIR" --all
curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/all.prom" || true
check "export --all: /metrics answers, reporting every segment" \
    bash -c '[[ $(grep -c "^brrtstat_segment_up{segment=\"\(escapes\|badentry\|fifo\)\"} 0$" "$1") == 3 ]]' _ "$WORK/all.prom"
check "export: brrtstat_segment_skipped_entries counts the invalid entry" \
    grep -qx 'brrtstat_segment_skipped_entries{segment="badentry"} 1' "$WORK/all.prom"
check "export: the FIFO is reported down" grep -qx 'brrtstat_segment_up{segment="fifo"} 0' "$WORK/all.prom"
check "export: no heartbeat age for the FIFO (NaN, not a fresh 0)" \
    grep -qx 'brrtstat_segment_heartbeat_age_seconds{segment="fifo"} NaN' "$WORK/all.prom"
kill -TERM "$EXP"
stopped() {
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$EXP" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}
check "export stops within 5 s of SIGTERM" stopped

start_export "$WORK/export-missing.log" "$BRRT_STAT_DIR" --segment missing || true
curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/missing.prom" || true
check "export of a missing segment: up 0" grep -qx 'brrtstat_segment_up{segment="missing"} 0' "$WORK/missing.prom"
check "export of a missing segment: heartbeat age NaN (never 0)" \
    grep -qx 'brrtstat_segment_heartbeat_age_seconds{segment="missing"} NaN' "$WORK/missing.prom"
check "HEAD /metrics: 200, the GET's content type, no body" \
    bash -c 'h=$(curl -s -I --max-time 10 "$1") && grep -q "^HTTP/1.1 200" <<<"$h" && grep -qi "^Content-Type: text/plain; version=0.0.4" <<<"$h" &&
             [[ -z $(curl -s --head --max-time 10 -o /dev/stdout "$1" | sed "/^\r\?$/,\$!d" | tail -n +2) ]]' _ "http://127.0.0.1:$PORT/metrics"
check "HEAD /healthz: 200" eq "$(curl -s -I -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/healthz")" 200
check "PUT /metrics: 405 with Allow: GET, HEAD" \
    grep -qi '^Allow: GET, HEAD' <<<"$(curl -s -D - -o /dev/null -X PUT --max-time 10 "http://127.0.0.1:$PORT/metrics")"
ctype() { curl -s -o /dev/null -w '%{content_type}' --max-time 10 -H "Accept: $1" "http://127.0.0.1:$PORT/metrics"; }
check "Accept: OpenMetrics at q=0.2 below text/plain at q=0.9: the text format" \
    grep -q '^text/plain; version=0.0.4' <<<"$(ctype 'application/openmetrics-text;version=1.0.0;q=0.2, text/plain;version=0.0.4;q=0.9')"
check "Accept: OpenMetrics at q=0: the text format" \
    grep -q '^text/plain; version=0.0.4' <<<"$(ctype 'application/openmetrics-text;q=0')"
check "Accept: Prometheus' own header: OpenMetrics" \
    grep -q '^application/openmetrics-text' <<<"$(ctype 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')"

# ---- 60 files stuck INITIALIZING: the first --all scrape pays their attach retries (~3 s);
# /healthz answers meanwhile, and later scrapes do not try them again until they change.
D2=$WORK/shm2
mkdir -m 0750 "$D2"
for i in $(seq -w 1 60); do "$BIN/brrt-hostile-seg" "$D2" "init$i" init; done
start_export "$WORK/export-init.log" "$D2" --all || true
curl -s --max-time 60 "http://127.0.0.1:$PORT/metrics" >"$WORK/init1.prom" &
SCRAPE=$!
sleep 0.5
health_during=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz") || true
scrape_running=no
kill -0 "$SCRAPE" 2>/dev/null && scrape_running=yes
wait "$SCRAPE" || true
check "a slow --all scrape was still running when /healthz was asked" eq "$scrape_running" yes
check "/healthz answered 200 within 2 s while that scrape ran" eq "$health_during" 200
for n in 2 3; do curl -s --max-time 60 "http://127.0.0.1:$PORT/metrics" >"$WORK/init$n.prom" || true; done
check "every INITIALIZING segment reported down" \
    eq "$(grep -c '^brrtstat_segment_up{segment="init[0-9]*"} 0$' "$WORK/init3.prom")" 60
check "after 3 scrapes each INITIALIZING segment was tried once (attach failures 1, cached)" \
    eq "$(grep -c '^brrtstat_segment_attach_failures_total{segment="init[0-9]*"} 1$' "$WORK/init3.prom")" 60
printf 'x' | dd of="$D2/init01" bs=1 seek=300 conv=notrunc status=none
curl -s --max-time 60 "http://127.0.0.1:$PORT/metrics" >"$WORK/init4.prom" || true
check "a changed file is tried again (init01: 2 failures, the others still 1)" \
    bash -c 'grep -qx "brrtstat_segment_attach_failures_total{segment=\"init01\"} 2" "$1" &&
             [[ $(grep -c "^brrtstat_segment_attach_failures_total{segment=\"init[0-9]*\"} 1$" "$1") == 59 ]]' _ "$WORK/init4.prom"

# ---- families whose exposition would be invalid ----------------------------------------------
# brrt-hostile-seg renames valid families in the file into ones the writer refuses (a crafted
# segment): the exporter leaves them out and counts them, and what it serves passes promtool,
# the strict OpenMetrics parser (python3-prometheus-client) and parse-prometheus-text-format.
# shellcheck source=tests/integration/node_env.sh
source "$SRC/tests/integration/node_env.sh"
brrt_node_env "$BIN" "$SRC" "$WORK/npm.log"
D3=$WORK/shm3
mkdir -m 0750 "$D3"
"$BIN/brrt-hostile-seg" "$D3" clash clash 60 &
PIDS+=("$!")
for ((i = 0; i < 50; i++)); do [[ -e $D3/clash ]] && break; sleep 0.1; done
start_export "$WORK/export-clash.log" "$D3" --all || true
curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/clash.prom" || true
curl -s --max-time 10 -H 'Accept: application/openmetrics-text; version=1.0.0' \
    "http://127.0.0.1:$PORT/metrics" >"$WORK/clash.om" || true
promcheck() { # promtool check metrics: non-empty input, exit 0, no findings
    local out
    [[ -s $1 ]] || { echo "  empty input" >&2; return 1; }
    out=$(promtool check metrics <"$1" 2>&1) || { echo "$out" >&2; return 1; }
    [[ -z $out ]] || { echo "$out" >&2; return 1; }
}
omcheck() { # the strict OpenMetrics parser reads every family, ending at # EOF
    /usr/bin/python3 -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
names = [f.name for f in fams]
print("        OpenMetrics families:", len(fams))
sys.exit(0 if "ok" in names and "hx" in names else 1)' "$1"
}
check "clash: the valid families are served (ok_total, hx, jobs_total, reqs as reqs_total)" \
    bash -c 'grep -qx "ok_total{segment=\"clash\"} 1" "$1" && grep -q "^hx_count{segment=\"clash\"} 1$" "$1" &&
             grep -q "^jobs_total{segment=\"clash\"} 0$" "$1" && grep -q "^reqs_total{segment=\"clash\"} 0$" "$1"' _ "$WORK/clash.prom"
check "clash: promtool check metrics is clean (text 0.0.4)" promcheck "$WORK/clash.prom"
check "clash: the strict OpenMetrics parser accepts the OpenMetrics exposition" omcheck "$WORK/clash.om"
check "clash: parse-prometheus-text-format reads it" node "$SRC/tests/integration/parse_exposition.cjs" <"$WORK/clash.prom"
check "clash: 5 families and 2 counter series left out, counted" \
    grep -qx 'brrtstat_segment_exposition_dropped{segment="clash"} 7' "$WORK/clash.prom"
check "clash: gauge hx_count, counter jobs, gauge reqs_created, the app's brrtstat_segment_up and brrtstat_exporter_build_info are not served" \
    bash -c '! grep -qE "^(# TYPE (hx_count|jobs|reqs_created) |(jobs|reqs_created)[{ ])" "$1" &&
             [[ $(grep -c "^hx_count{" "$1") == 1 && $(grep -c "^# TYPE brrtstat_segment_up " "$1") == 1 &&
                $(grep -c "^# TYPE brrtstat_exporter_build_info " "$1") == 1 ]]' _ "$WORK/clash.prom"
# The protobuf exposition applies the same plan: the same families left out, the same count.
curl -s --max-time 10 -H 'Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' \
    "http://127.0.0.1:$PORT/metrics" -o "$WORK/clash.pb" || true
python3 "$SRC/tests/integration/pb_decode.py" "$SRC/tools/export/proto/metrics.proto" <"$WORK/clash.pb" \
    >"$WORK/clash.pbtxt" 2>"$WORK/clash.pb.err" || cat "$WORK/clash.pb.err" >&2
pb_names() { sed -n 's/^name: "\(.*\)"$/\1/p' "$WORK/clash.pbtxt"; }
M78=m_$(printf 'a%.0s' {1..78})
check "clash: protobuf carries the app families the text format serves with samples (hx, jobs_total, reqs as reqs_total, m_a.., ok_total)" \
    eq "$(pb_names | grep -v '^brrtstat_' | sort | tr '\n' ' ')" "$(printf '%s\n' hx jobs_total "$M78" ok_total reqs_total | sort | tr '\n' ' ')"
check "clash: protobuf serves no clashing family (hx_count, jobs, reqs_created) and one brrtstat_segment_up, one build_info" \
    bash -c '! grep -qxE "hx_count|jobs|reqs_created" <<<"$1" && [[ $(grep -cx brrtstat_segment_up <<<"$1") == 1 &&
             $(grep -cx brrtstat_exporter_build_info <<<"$1") == 1 ]]' _ "$(pb_names)"
check "clash: protobuf counts the same 7 left out" \
    bash -c 'sed -n "/^name: \"brrtstat_segment_exposition_dropped\"/,/^---/p" "$1" | grep -qE "^ +value: 7$"' _ "$WORK/clash.pbtxt"

LONG=/$(printf 'd%.0s' {1..300})/$(printf 'x%.0s' {1..4000})
run long_export "$STAT" export --listen 127.0.0.1:1 --segment "$LONG"
check "export --segment longer than 4095 bytes: usage error (2), not cut short" \
    bash -c '[[ $1 == 2 ]] && grep -q "at most 4095" "$2"' _ "$RC" "$WORK/long_export.err"
run long_snap "$STAT" snapshot --segment "$LONG"
check "snapshot --segment longer than 4095 bytes: usage error (2)" \
    bash -c '[[ $1 == 2 ]] && grep -q "at most 4095" "$2"' _ "$RC" "$WORK/long_snap.err"
LONGDIR=$WORK/$(printf 'd%.0s' {1..250})
mkdir -m 0750 "$LONGDIR"
"$BIN/brrt-hostile-seg" "$LONGDIR" long badentry
start_export "$WORK/export-long.log" "$BRRT_STAT_DIR" --segment "$LONGDIR/long" || true
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$PORT/metrics" || true # a scrape attaches
check "export --segment PATH of ${#LONGDIR} + 5 bytes: attached under its full path (not cut at 255)" \
    grep -qxF "segment $LONGDIR/long down generation 1" <<<"$(curl -s --max-time 10 "http://127.0.0.1:$PORT/healthz")"

brrt_summary
