#!/usr/bin/env bash
# Exporter throughput (a benchmark, not a test): wrk against GET /metrics of brrt-stat export,
# next to the floor measured in the same run: libmicrohttpd (brrt-bench-static, the exporter's
# server options) serving the same body pre-rendered. Rounds alternate exporter and floor;
# medians are reported, and the ratio is the median of the per-round ratios.
# Scenarios:
#   demo      the demo's own segment after 20,000 mixed requests (small: ~200 samples), then
#             under a light load (200 requests/s, bounded, through every round: the exporter
#             and the floor alike) so that its values change between scrapes; also one run
#             with gzip
#   (every scenario: one run of the other exposition, protobuf with native histograms or
#   text, body size, scrapes/s and CPU per scrape, next to the rounds; and the text scrape
#   without HTTP, brrt-bench-scrape: segset_scrape in a loop, CPU us per scrape)
#   hist1000  1,000 histogram series (9 buckets) written by 4 threads (brrt-bench-writer)
#   ctr10000  10,000 counter series written by 1 thread
# Usage: bench/export_bench.sh [BIN_DIR] [SECONDS] [ROUNDS] [SCENARIOS...]
#        (defaults: build/bin, 5, 3, all three)
#        EXPORT_BENCH_FORMAT=protobuf: the rounds (exporter and floor) ask for and serve the
#        protobuf exposition (the Accept header of a Prometheus with native histograms; the
#        floor serves the exporter's protobuf body), and the one extra run is text instead.
# Output: one line per scenario and measure:
#   export_<scenario>_<measure> <value>
# then the table of docs/performance.md's "Exporter" section (markdown), the per-round ratios
# and the machine's load before and after (`uptime`: the floor is measured in the same run, but
# a loaded machine still moves every number).
# CPU per scrape (user + system from /proc, over the wrk run) is given for the exporter and for
# the floor server: unlike scrapes/s it does not depend on what else the machine runs.
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
SECS=${2:-5}
ROUNDS=${3:-3}
shift $(($# < 3 ? $# : 3))
SCENARIOS=("${@:-demo hist1000 ctr10000}")
read -r -a SCENARIOS <<<"${SCENARIOS[*]}"
FORMAT=${EXPORT_BENCH_FORMAT:-text}
PB='Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
case $FORMAT in
  text) MAIN=() OTHER=(-H "$PB") other=protobuf ;;
  protobuf) MAIN=(-H "$PB") OTHER=() other=text ;;
  *) echo "export_bench: EXPORT_BENCH_FORMAT is text or protobuf" >&2; exit 2 ;;
esac
WORK=$(mktemp -d /tmp/brrt-export-bench-XXXXXX)
export BRRT_STAT_DIR=$WORK/seg
mkdir -m 0750 "$BRRT_STAT_DIR"
pids=()
rows=()
ratios=()
load_before=$(uptime)
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT

port() { echo $((20000 + RANDOM % 20000)); }
wait_http() { # url
  for _ in $(seq 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "export_bench: $1 did not answer" >&2
  exit 1
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# wrk for SECS against URL; prints "<scrapes/s> <scrapes>"
load() {
  local out
  out=$(wrk -t2 -c16 -d"${SECS}s" "$@")
  echo "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out") $(awk '/requests in/ { print $1 }' <<<"$out")"
}

start_writer() { # scenario segment
  case $1 in
    demo)
      local dp
      dp=$(port)
      "$BIN/brrt-demo" --listen "127.0.0.1:$dp" --segment "$2" --error-rate 0.05 --duration 3600 2>/dev/null &
      pids+=($!)
      wait_http "http://127.0.0.1:$dp/health"
      "$BIN/brrt-demo" load --target "127.0.0.1:$dp" --requests 20000 --duration 20 >/dev/null
      "$BIN/brrt-demo" load --target "127.0.0.1:$dp" --rate 200 --connections 1 --duration 3600 >/dev/null &
      pids+=($!) ;;
    hist1000)
      "$BIN/brrt-bench-writer" --segment "$2" --histograms 1000 --threads 4 >"$WORK/$2.ready" &
      pids+=($!) ;;
    ctr10000)
      "$BIN/brrt-bench-writer" --segment "$2" --counters 10000 --threads 1 >"$WORK/$2.ready" &
      pids+=($!) ;;
    *) echo "export_bench: unknown scenario $1" >&2; exit 2 ;;
  esac
  for _ in $(seq 300); do [[ -s $WORK/$2.ready || $1 == demo ]] && break; sleep 0.1; done
}

for scn in "${SCENARIOS[@]}"; do
  start_writer "$scn" "$scn"
  EP=$(port)
  "$BIN/brrt-stat" export --listen "127.0.0.1:$EP" --segment "$scn" 2>/dev/null &
  EXP=$!
  pids+=($EXP)
  wait_http "http://127.0.0.1:$EP/metrics"
  curl -s "http://127.0.0.1:$EP/metrics" >"$WORK/$scn.txt" # samples are counted in text
  curl -s "${MAIN[@]}" "http://127.0.0.1:$EP/metrics" >"$WORK/$scn.body"
  SP=$(port)
  "$BIN/brrt-bench-static" --port "$SP" --body "$WORK/$scn.body" &
  FLOOR=$!
  pids+=($FLOOR)
  wait_http "http://127.0.0.1:$SP/metrics"
  : >"$WORK/exp" && : >"$WORK/floor" && : >"$WORK/ratio" && : >"$WORK/cpu" && : >"$WORK/fcpu"
  for _ in $(seq "$ROUNDS"); do
    c0=$(cpu "$EXP")
    read -r e n < <(load "${MAIN[@]}" "http://127.0.0.1:$EP/metrics")
    c1=$(cpu "$EXP")
    f0=$(cpu "$FLOOR")
    read -r f fn < <(load "${MAIN[@]}" "http://127.0.0.1:$SP/metrics")
    f1=$(cpu "$FLOOR")
    echo "$e" >>"$WORK/exp"
    echo "$f" >>"$WORK/floor"
    awk -v e="$e" -v f="$f" 'BEGIN { print e / f }' >>"$WORK/ratio"
    per_scrape() { awk -v c="$1" -v n="$2" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f\n", c / t / n * 1e6 }'; }
    per_scrape $((c1 - c0)) "$n" >>"$WORK/cpu"
    per_scrape $((f1 - f0)) "$fn" >>"$WORK/fcpu"
  done
  echo "export_${scn}_samples $(grep -vc '^#' "$WORK/$scn.txt")"
  echo "export_${scn}_body_bytes $(wc -c <"$WORK/$scn.body")"
  echo "export_${scn}_scrapes_per_s $(median <"$WORK/exp") (rounds: $(paste -sd' ' "$WORK/exp"))"
  echo "export_${scn}_floor_scrapes_per_s $(median <"$WORK/floor") (rounds: $(paste -sd' ' "$WORK/floor"))"
  echo "export_${scn}_ratio $(median <"$WORK/ratio" | awk '{ printf "%.3f", $1 }') (rounds: $(xargs printf '%.3f ' <"$WORK/ratio"))"
  echo "export_${scn}_cpu_us_per_scrape $(median <"$WORK/cpu") (the floor server's: $(median <"$WORK/fcpu"))"
  # the same scrape without HTTP: segset_scrape in a loop, this process' CPU per scrape
  echo "export_${scn}_$("$BIN/brrt-bench-scrape" --segment "$scn" 2>&1 || echo "scrape_loop_us (failed)")"
  case $scn in
    demo) what="\`demo\`: the demo's segment after 20,000 requests, 200 req/s during the run"; target="(0.7–0.9)" ;;
    hist1000) what="\`hist1000\`: 1,000 histogram series (9 buckets), 4 writer threads"; target="(>= 0.25)" ;;
    ctr10000) what="\`ctr10000\`: 10,000 counters"; target="(scrapes/s >= 3,000)" ;;
  esac
  rows+=("| $what | $(grep -vc '^#' "$WORK/$scn.txt") | $(wc -c <"$WORK/$scn.body") B | $(median <"$WORK/exp" | awk '{ printf "%.0f", $1 }') | $(median <"$WORK/floor" | awk '{ printf "%.0f", $1 }') | **$(median <"$WORK/ratio" | awk '{ printf "%.2f", $1 }')** $target | $(median <"$WORK/cpu") us | $(median <"$WORK/fcpu") us |")
  ratios+=("$scn $(xargs printf '%.2f ' <"$WORK/ratio")")
  if [[ $scn == demo && $FORMAT == text ]]; then # one run with gzip
    read -r g _ < <(load -H 'Accept-Encoding: gzip' "http://127.0.0.1:$EP/metrics")
    echo "export_demo_gzip_scrapes_per_s $g"
  fi
  # one run of the other exposition (protobuf with native histograms: what a Prometheus with
  # native histograms enabled asks for; or text), next to the rounds, same exporter
  echo "export_${scn}_${other}_body_bytes $(curl -s "${OTHER[@]}" "http://127.0.0.1:$EP/metrics" | wc -c)"
  c0=$(cpu "$EXP")
  read -r g n < <(load "${OTHER[@]}" "http://127.0.0.1:$EP/metrics")
  c1=$(cpu "$EXP")
  echo "export_${scn}_${other}_scrapes_per_s $g"
  echo "export_${scn}_${other}_cpu_us_per_scrape $(per_scrape $((c1 - c0)) "$n")"
  echo "export_${scn}_rss_kib $(awk '/^VmRSS/ { print $2 }' "/proc/$EXP/status")"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
done
echo "format $FORMAT (the rounds and the floor's body)"
echo "nproc $(nproc) (wrk, the exporter and the floor server share these cores); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | samples | body | exporter scrapes/s | floor scrapes/s | ratio (target) | exporter CPU/scrape | floor CPU/scrape |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "Per-round ratios ($ROUNDS rounds of ${SECS} s, medians above): $(printf '%s; ' "${ratios[@]}")"
echo "Load before: $load_before"
echo "Load after:  $(uptime)"
