#!/usr/bin/env bash
# brrt-stat-watch (the TUI) end to end, driven inside tmux (send-keys, capture-pane) on a
# private server and socket, fixed sizes, bounded waits:
#   against brrt-fixture (known values): values and sections appear, the metric browser's
#     filter (/, incremental) and sort keys, pause, interval, the help screen generated from
#     tools/watch/keys.h, resize to and from 80x24;
#   against brrt-watch-writer (chosen CPU and stack levels): the gauges' colours change at the
#     thresholds of the project's thresholds table, read from metrics/include/brrtstat/
#     thresholds.h (capture-pane -e); the error figure is the 5xx share (4xx apart) in its
#     band's colour; NO_COLOR, reset averages, a killed writer shows as dead and a restarted
#     one is followed;
#   against brrt-demo under its own bounded load: request rate and p99, the watch's CPU cost;
#   exit codes: no terminal (2, pointing to snapshot), bad flags (2), no segment (3), q (0).
# usage: test_watch.sh BIN_DIR SOURCE_DIR
# BRRT_WATCH_CAPTURE=FILE also writes the screen under load there (docs/watch.md has one).
# Single-quoted patterns are for grep, not the shell:
# shellcheck disable=SC2016
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 BIN_DIR SOURCE_DIR" >&2
    exit 2
fi
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WATCH=$BIN/brrt-stat-watch
STAT=$BIN/brrt-stat
FIX=$BIN/brrt-fixture
WW=$BIN/brrt-watch-writer
DEMO=$BIN/brrt-demo
KEYS_H=$SRC/tools/watch/keys.h
MANPAGE=$SRC/docs/brrt-stat-watch.1
DOC=$SRC/docs/watch.md
T_START=$SECONDS

for f in "$WATCH" "$STAT" "$FIX" "$WW" "$DEMO"; do
    [[ -x $f ]] || { echo "test_watch: $f is missing (build first)" >&2; exit 1; }
done
for tool in tmux curl groff; do
    command -v "$tool" >/dev/null || { echo "test_watch: $tool is not installed" >&2; exit 1; }
done

# ---- check bookkeeping, work directory, cleanup (tests/integration/lib.sh) -----------------
# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
brrt_workdir test-watch
export TMUX_TMPDIR=$WORK # the private server's socket lives and dies with WORK
unset TMUX
SOCK=brrt-test-$$
brrt_at_exit tmux -L "$SOCK" kill-server

# ---- the thresholds table (metrics/include/brrtstat/thresholds.h), read from the header -----
# Every colour checked below is the table's, not a copy of its numbers: change a threshold there
# and this test follows it.
TH_H=$SRC/metrics/include/brrtstat/thresholds.h
th_row() { # th_row ID: "c0 t1 c1 t2 c2 t3 c3" of that row (colour names in lower case)
    sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$TH_H" | tr -s ' ' |
        sed -nE "s/.*X\($1, \"[^\"]*\", \"[^\"]*\", \"[^\"]*\", ([A-Z]+), ([0-9.]+), ([A-Z]+), ([0-9.]+), ([A-Z]+), ([0-9.]+), ([A-Z]+)\).*/\1 \2 \3 \4 \5 \6 \7/p" |
        tr 'A-Z' 'a-z'
}
th_t() { th_row "$1" | awk -v i="$2" '{ print $(2 * i) }'; }          # th_t ID 1..3: threshold i
th_band() { th_row "$1" | awk -v v="$2" '{ print (v >= $6 ? 3 : v >= $4 ? 2 : v >= $2 ? 1 : 0) }'; }
th_colour() { th_row "$1" | awk -v b="$2" '{ print $(2 * b + 1) }'; } # th_colour ID BAND
th_level() { # th_level ID BAND: a value well inside that band
    th_row "$1" | awk -v b="$2" '{ v = b == 0 ? $2 * 0.9 : b == 3 ? $6 + ($6 - $4) / 2 : ($(2 * b) + $(2 * b + 2)) / 2
        if (v > 100) v = 100; printf "%g\n", v }'
}
declare -A SGR_OF=([green]='\x1b\[32m' [yellow]='\x1b\[33m' [orange]='\x1b\[38;5;208m' [red]='\x1b\[31m')
for id in CPU STACK ERRORS_5XX; do
    [[ $(th_row $id | wc -w) == 7 ]] || { echo "test_watch: cannot read row $id of $TH_H" >&2; exit 1; }
done

# ---- tmux ----------------------------------------------------------------------------------
# exit-empty off: the server stays up between sessions (torn down by brrt_at_exit above); with
# it on, a session started right after the last one ended could reach the exiting server
# ("server exited unexpectedly").
cat >"$WORK/tmux.conf" <<'EOF'
set -s exit-empty off
set -g default-terminal tmux-256color
set -g status off
set -g escape-time 0
set -g history-limit 0
EOF
# run.sh TAG CMD...: runs CMD in the pane; the pane's shell pid in TAG.pid, CMD's exit status in
# TAG.rc, its stderr in TAG.err.
cat >"$WORK/run.sh" <<'EOF'
#!/usr/bin/env bash
tag=$1
shift
echo $$ >"$tag.pid"
"$@" 2>"$tag.err"
echo $? >"$tag.rc"
EOF
chmod +x "$WORK/run.sh"
tm() { tmux -L "$SOCK" -f "$WORK/tmux.conf" "$@"; }

# start SESSION CMD...: a new 100x30 session running CMD (UTF-8 locale, no NO_COLOR unless CMD
# sets it with env).
start() {
    local s=$1
    shift
    rm -f "$WORK/$s.rc" "$WORK/$s.pid"
    tm new-session -d -s "$s" -x 100 -y 30 "$WORK/run.sh" "$WORK/$s" env -u NO_COLOR LANG=C.UTF-8 LC_ALL=C.UTF-8 "$@"
}
# The screen of SESSION: plain (screen) or with escape sequences (screen_e); both by one
# capture, so that the plain text and the attributes are of the same instant.
capture() { # capture SESSION: $WORK/SESSION.e (escapes) and $WORK/SESSION.txt (plain)
    tm capture-pane -p -e -t "$1" >"$WORK/$1.e" 2>/dev/null || return 1
    sed 's/\x1b\[[0-9;]*m//g' "$WORK/$1.e" >"$WORK/$1.txt"
}
# wait_for SESSION SECONDS CMD...: captures until CMD (run with $TXT and $ESC set to the
# capture files) succeeds; on timeout prints the last screen and fails. SECONDS is what the
# condition takes on an idle machine; the wait goes on for at least WAIT_MIN (60 s), so that a
# loaded CI machine (ASan, TSan, other jobs) cannot fail it. It returns as soon as CMD holds.
WAIT_MIN=60
wait_for() {
    local s=$1 t=$2
    shift 2
    ((t >= WAIT_MIN)) || t=$WAIT_MIN
    local end=$((SECONDS + t))
    while :; do
        if capture "$s"; then
            TXT=$WORK/$s.txt ESC=$WORK/$s.e
            if "$@"; then return 0; fi
        fi
        ((SECONDS < end)) || break
        sleep 0.1
    done
    echo "        (timed out after ${t}s waiting for: $*; the screen was:)" >&2
    sed 's/^/        | /' "$WORK/$s.txt" >&2 || true
    return 1
}
has() { grep -qE -- "$1" "$TXT"; }               # has ERE: a line of the plain screen matches
has_e() { LC_ALL=C grep -qP -- "$1" "$ESC"; }    # has_e PCRE (bytes): the escaped screen
all_have() { # all_have ERE...: every ERE is on the plain screen
    local re
    for re in "$@"; do has "$re" || return 1; done
}
screen_has() { # screen_has SESSION SECONDS ERE...
    local s=$1 t=$2
    shift 2
    wait_for "$s" "$t" all_have "$@"
}
status_line() { tail -n 1 "$TXT"; }
# The browser's rows: the lines after its header ("Metrics N of M"), before the status bar.
rows() { sed -n '/^Metrics [0-9]* of [0-9]*/,$p' "$TXT" | sed '1d;$d' | sed '/^ *$/d'; }
first_row() { rows | head -n 1; }
keys() { tm send-keys -t "$1" "${@:2}"; }
wait_rc() { # wait_rc TAG SECONDS: the exit status of run.sh TAG, "" on timeout (>= WAIT_MIN)
    local t=$2
    ((t >= WAIT_MIN)) || t=$WAIT_MIN
    local end=$((SECONDS + t))
    while ((SECONDS < end)); do
        [[ -s $WORK/$1.rc ]] && { cat "$WORK/$1.rc"; return 0; }
        sleep 0.1
    done
    echo ""
}
watch_pid() { pgrep -P "$(cat "$WORK/$1.pid")" -x brrt-stat-watch | head -n 1; }

start_bg() { # start_bg TAG CMD...: a background writer; waits for its "ready"; sets BG_PID
    local tag=$1 i
    shift
    "$@" >"$WORK/$tag.out" 2>&1 &
    BG_PID=$!
    PIDS+=("$BG_PID")
    for ((i = 0; i < 300; i++)); do
        grep -q '^ready$' "$WORK/$tag.out" 2>/dev/null && return 0
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.01
    done
    echo "test_watch: $* did not get ready:" >&2
    cat "$WORK/$tag.out" >&2
    exit 1
}

# ---- exit codes without a terminal -------------------------------------------------------
start_bg fixture "$FIX" --mode hold --segment fx --seconds 900
FIX_PID=$BG_PID
rc=0
"$WATCH" -s fx </dev/null >"$WORK/notty.out" 2>"$WORK/notty.err" || rc=$?
check "no terminal: exit 2, nothing on stdout, stderr points to brrt-stat snapshot" \
    bash -c '[[ $1 == 2 && ! -s $2 ]] && grep -q "brrt-stat snapshot" "$3"' _ "$rc" "$WORK/notty.out" "$WORK/notty.err"
rc=0
"$STAT" watch -s fx >"$WORK/notty2.out" 2>&1 </dev/null | cat || rc=${PIPESTATUS[0]}
check "brrt-stat watch runs brrt-stat-watch (no terminal: exit 2)" \
    bash -c '[[ $1 == 2 ]] && grep -q "needs a terminal" "$2"' _ "$rc" "$WORK/notty2.out"
rc=0
"$WATCH" -s fx --interval 0.1 </dev/null >/dev/null 2>"$WORK/badiv.err" || rc=$?
check "bad --interval: exit 2 with the allowed range" bash -c '[[ $1 == 2 ]] && grep -q -- "--interval wants seconds from 0.25" "$2"' _ "$rc" "$WORK/badiv.err"
rc=0
"$WATCH" --bogus </dev/null >/dev/null 2>&1 || rc=$?
check "unknown flag: exit 2" test "$rc" = 2
rc=0
"$WATCH" --help >"$WORK/help.out" 2>&1 || rc=$?
check "--help: exit 0, usage and exit codes" bash -c '[[ $1 == 0 ]] && grep -q "^usage: brrt-stat watch" "$2" && grep -q "no such segment" "$2"' _ "$rc" "$WORK/help.out"

start nosuch "$WATCH" -s nosuch
check "in a terminal, a missing segment: exit 3" test "$(wait_rc nosuch 5)" = 3
check "... with the reason on stderr" grep -q 'nosuch' "$WORK/nosuch.err"

# ---- brrt-fixture: known values, browser, keys, resize ------------------------------------
start fx "$STAT" watch -s fx
check "fixture: the sections appear (CPU, Memory, Stacks, Requests, Health, charts, browser)" \
    screen_has fx 5 '^CPU ' '^Memory ' '^Stacks ' '^Requests ' '^Health ' '^Last [0-9]+m ' '^Metrics 11 of 11 '
check "fixture: known values: RSS 12.5 MiB, active -3, CPU 0.0% (its CPU seconds do not move)" \
    screen_has fx 3 '^Memory +RSS 12\.5 MiB' '^Health +active -3 ' '^CPU .* 0\.0% ok'
check "fixture: exact 2^60+3 in the browser, an unknown metric, an escaped label value on one row" \
    screen_has fx 3 '^brrtrouter_requests_total\{path="/pets",status="200"\} +1152921504606846979 ' \
    '^fixture_jobs_total\{queue="plain"\} +42 ' '^fixture_jobs_total\{queue="say \\"hi\\" \\\\ ok\\nbye"\} +1 '
check "fixture: ticks_total's rate is its --rate (1000/s)" \
    screen_has fx 5 '^ticks_total +[0-9]+ +(9[89][0-9]|10[01][0-9])/s$'
check "fixture: status bar: segment, running, pid, generation, uptime, data age" \
    wait_for fx 3 eval 'status_line | grep -qE "^ fx  running  pid '"$FIX_PID"'  gen 1  up [0-9.]+ (ms|s)  age [0-9.]+ (us|ms|s)  every 1 s"'
sorted_by_name() { rows | awk '{print $1}' >"$WORK/names"; LC_ALL=C sort -c "$WORK/names"; }
check "browser: sorted by name at start" wait_for fx 3 sorted_by_name

keys fx s
check "sort key s: by value, the 2^60+3 series first" \
    wait_for fx 3 eval 'has "^Metrics 11 of 11  sort value" && first_row | grep -q "^brrtrouter_requests_total{path=\"/pets\",status=\"200\"}"'
keys fx s
check "sort key s again: by rate, ticks_total (1000/s) then window_seconds" \
    wait_for fx 3 eval 'has "sort rate" && [[ $(rows | head -n 2 | awk "{print \$1}" | paste -sd " ") == "ticks_total window_seconds" ]]'
keys fx S
check "S reverses: lowest rate first (0/s), the rows without a rate still last" \
    wait_for fx 3 eval 'has "sort rate \(low first\)" && first_row | grep -qE " 0/s$" && rows | tail -n 1 | grep -qvE "/s$"'
keys fx s
check "s wraps around to name" wait_for fx 3 eval 'has "sort name" && sorted_by_name'

keys fx /
keys fx q
check "filter is incremental: after '/q' 7 of 11 (q does not quit while typing)" \
    screen_has fx 3 '^Metrics 7 of 11 .*filter /q'
keys fx u e u e
check "filter: '/queue' narrows to the 2 labelled fixture_jobs_total series" \
    wait_for fx 3 eval 'has "^Metrics 2 of 11 .*filter /queue" && [[ $(rows | grep -c "^fixture_jobs_total{queue=") == 2 ]]'
keys fx Enter
check "Enter keeps the filter and leaves the prompt" screen_has fx 3 '^Metrics 2 of 11 .*filter queue'
keys fx / Escape
check "/ then Esc clears it" screen_has fx 3 '^Metrics 11 of 11  sort name'

keys fx p
check "p pauses: PAUSED in the status bar" wait_for fx 3 eval 'status_line | grep -q PAUSED'
ticks_now() { grep -E '^ticks_total ' "$TXT" | awk '{print $2}'; }
capture fx
TXT=$WORK/fx.txt
t1=$(ticks_now)
sleep 1.5
capture fx
t2=$(ticks_now)
check "while paused the values stay ($t1 = $t2)" test -n "$t1" -a "$t1" = "$t2"
keys fx p
check "p again resumes: the values move" wait_for fx 4 eval '! status_line | grep -q PAUSED && [[ $(ticks_now) != "$t1" ]]'
keys fx +
check "+ makes the interval longer (1 s -> 2 s)" wait_for fx 3 eval 'status_line | grep -q "every 2 s"'
keys fx - - -
check "- makes it shorter (2 s -> 250 ms after three)" wait_for fx 3 eval 'status_line | grep -q "every 250 ms"'
keys fx +
check "+ from 250 ms is 500 ms" wait_for fx 3 eval 'status_line | grep -q "every 500 ms"'

# The help screen is generated from keys.h: every help text of the table is on it.
keys fx h
help_complete() {
    has '^ brrt-stat watch: keys' || return 1
    local text missing=0
    while IFS= read -r text; do
        grep -qF -- "$text" "$TXT" || { echo "        not on the help screen: $text" >&2; missing=1; }
    done < <(sed -nE 's/^ *X\((.*), "([^"]*)", "([^"]*)", [a-z_]+\).*$/\3/p' "$KEYS_H" | sort -u)
    [[ $missing == 0 ]]
}
n_help=$(sed -nE 's/^ *X\((.*), "([^"]*)", "([^"]*)", [a-z_]+\).*$/\3/p' "$KEYS_H" | sort -u | wc -l)
check "h: the help screen shows all $n_help help texts of keys.h, and the threshold table" \
    wait_for fx 3 eval 'help_complete && has "^ cpu +$(th_colour CPU 0) <$(th_t CPU 1)  $(th_colour CPU 1) $(th_t CPU 1)\+  $(th_colour CPU 2) $(th_t CPU 2)\+  $(th_colour CPU 3) $(th_t CPU 3)\+  CPU, % of the CPU limit"'
check "help: keys with one action share a line (Down j)" has '^ Down j +scroll the browser down a line'
docs_have_keys() {
    local text f missing=0
    while IFS= read -r text; do
        for f in "$DOC" "$MANPAGE"; do
            grep -qF -- "$text" "$f" || { echo "        not in $f: $text" >&2; missing=1; }
        done
    done < <(sed -nE 's/^ *X\((.*), "([^"]*)", "([^"]*)", [a-z_]+\).*$/\3/p' "$KEYS_H" | sort -u)
    [[ $missing == 0 ]]
}
check "docs/watch.md and docs/brrt-stat-watch.1 list every key of keys.h" docs_have_keys
keys fx x
check "any key closes the help" screen_has fx 3 '^Metrics 11 of 11 '

# Resize: every section, the browser and the status bar (on the last line) at 80x24 and 120x40.
layout_ok() { # layout_ok ROWS COLS
    [[ $(wc -l <"$TXT") == "$1" ]] || return 1
    [[ $(LC_ALL=C.UTF-8 wc -L <"$TXT") -le $2 ]] || return 1
    status_line | grep -qE '^ fx  running  pid [0-9]+' || return 1
    local l
    for l in CPU Memory Stacks Requests Health Last; do
        [[ $(grep -cE "^$l " "$TXT") == 1 ]] || return 1
    done
    has '^Metrics 11 of 11 ' && [[ $(rows | wc -l) -ge 3 ]]
}
tm resize-window -t fx -x 80 -y 24
check "resize to 80x24: sections once each, browser rows, status bar on line 24" wait_for fx 4 layout_ok 24 80
tm resize-window -t fx -x 120 -y 40
check "resize to 120x40: the same, status bar on line 40" wait_for fx 4 layout_ok 40 120
check "at 120x40 more browser rows are shown (all 11)" eval '[[ $(rows | wc -l) == 11 ]]'
tm resize-window -t fx -x 80 -y 24
check "and back to 80x24" wait_for fx 4 layout_ok 24 80
tm resize-window -t fx -x 100 -y 30
keys fx q
check "q quits with exit 0" test "$(wait_rc fx 5)" = 0

# ---- brrt-watch-writer: threshold colours, NO_COLOR, reset, dead and restarted writers ----
# Levels inside each band of the CPU and STACK rows; the writer's CPU is in % of one core and
# it has a 2-core limit, so the gauge (% of the limit, as on the dashboard) reads half of it.
CPU_L=() STACK_L=() WW_CPU=() WW_STACK=()
for b in 0 1 2 3; do
    CPU_L+=("$(th_level CPU $b)")
    STACK_L+=("$(th_level STACK $b)")
    WW_CPU+=("$(awk -v v="${CPU_L[$b]}" 'BEGIN { printf "%g", 2 * v }')")
    WW_STACK+=("${STACK_L[$b]}")
done
start_bg ww "$WW" --segment ww --cpu "$(IFS=,; echo "${WW_CPU[*]}")" --stack "$(IFS=,; echo "${WW_STACK[*]}")" --seconds 900
WW_PID=$BG_PID
disown "$WW_PID" # it is killed with -9 below: no "Killed" report from bash
start ww "$WATCH" -s ww --interval 0.5
start nc env NO_COLOR=1 "$WATCH" -s ww --interval 0.5
SGR='(\x1b\[[0-9;]*m)*'
BAR='(\xe2\x96[\x88-\x8f])' # a block of the bar: full or eighths
WORDS=(ok warn high crit)
# cpu_gauge_at LEVEL BAND: the CPU gauge reads LEVEL (+-2.5) with the band's word and colour
cpu_gauge_at() {
    local v c
    v=$(sed -nE 's/^CPU +[^ ]+ ([0-9.]+)% [a-z]+ .*/\1/p' "$TXT" | head -n 1)
    c=${SGR_OF[$(th_colour CPU "$2")]}
    [[ -n $v ]] && awk -v v="$v" -v w="$1" 'BEGIN { exit !(v > w - 2.5 && v < w + 2.5) }' &&
        has "^CPU +[^ ]+ [0-9.]+% ${WORDS[$2]} " && has_e "^${SGR}CPU${SGR} +$c$BAR"
}
# stack_gauge_at LEVEL BAND: the stack gauge reads LEVEL with the band's word and colour
stack_gauge_at() {
    has "^Stacks .* $(printf '%.1f' "$1")% ${WORDS[$2]}" && has_e "^${SGR}Stacks.*${SGR_OF[$(th_colour STACK "$2")]}$BAR"
}
# five_xx_coloured: the error figure (Requests "errors", 5xx only) and the Health 5xx share have
# the colour of their value's band in the ERRORS_5XX row.
five_xx_coloured() {
    local line pct band c
    line=$(LC_ALL=C grep -oP '5xx (\x1b\[[0-9;]*m)*[0-9.]+/s \([0-9.]+%\)' "$ESC" | head -n 1) || return 1
    pct=$(sed -E 's/\x1b\[[0-9;]*m//g; s/.*\(([0-9.]+)%\)/\1/' <<<"$line")
    band=$(th_band ERRORS_5XX "$pct")
    c=${SGR_OF[$(th_colour ERRORS_5XX "$band")]}
    [[ $pct != 0.0 ]] && LC_ALL=C grep -qP "5xx (\x1b\[[0-9;]*m)*$c[0-9.]+/s" <<<"$line" &&
        has_e "errors ${SGR}$c${pct}%"
}
for i in 0 1 2 3; do
    check "CPU ${CPU_L[$i]}% of the limit: gauge $(th_colour CPU $i), '${WORDS[$i]}'; stack ${STACK_L[$i]}%: $(th_colour STACK $i) (thresholds table)" \
        wait_for ww 6 eval "cpu_gauge_at ${CPU_L[$i]} $i && stack_gauge_at ${STACK_L[$i]} $i"
    if [[ $i == 0 ]]; then
        check "limits: Health's CPU is the gauge's figure (of 2 cores, $(th_colour CPU 0)); memory 50.0% of 200 MiB, $(th_colour LIMIT 0)" \
            eval "has_e 'CPU ${SGR}${SGR_OF[$(th_colour CPU 0)]}[0-9.]+%${SGR} of 2 cores' && has_e 'mem ${SGR}${SGR_OF[$(th_colour LIMIT 0)]}50\.0%${SGR} of 200 MiB'"
        # 4 % 5xx and 8 % 4xx: the error figure is the 5xx share only (one definition, as the
        # dashboard's error rate); counting every status >= 400 would say 12 %.
        check "requests: rate 200, errors 4.0% (5xx only), 4xx 8.0% apart, p50 1 ms, p99 20 ms" \
            wait_for ww 6 has '^Requests rate (19[0-9]|20[0-9])  errors [34]\.[0-9]%  4xx [78]\.[0-9]%  p50 (0\.9[7-9]|1|1\.0[0-4]) ms  p90 [0-9.]+ ms  p95 [0-9.]+ ms  p99 (19\.[4-9]|20|20\.[0-6]) ms'
        check "errors and Health's 5xx share have their ERRORS_5XX band's colour ($(th_colour ERRORS_5XX "$(th_band ERRORS_5XX 4)") at 4 %)" \
            five_xx_coloured
        check "NO_COLOR: no colour escape at all, the band still in words" wait_for nc 4 eval \
            "! has_e '\x1b\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|10[0-7]|38;[25];[0-9;]+|48;[25];[0-9;]+)m' && has '^CPU +[^ ]+ [0-9.]+% ok '"
        tm kill-session -t nc
    fi
    kill -USR1 "$WW_PID"
done

# reset averages: the 1m average has the earlier, lower levels in it; after r it starts again.
avg1() { sed -nE 's/.* avg 1m ~?([0-9.]+)%.*/\1/p' "$TXT" | head -n 1; }
capture ww
TXT=$WORK/ww.txt
before=$(avg1)
keys ww r
check "r resets the averages: 1m average was $before%, then about the current ${CPU_L[3]}%" \
    wait_for ww 3 eval '[[ -n $before ]] && awk -v b="$before" -v a="$(avg1)" -v c="${CPU_L[3]}" "BEGIN { exit !(b < c - 5 && a >= c - 3 && a <= c + 3) }"'

kill -9 "$WW_PID"
check "writer killed -9: the status bar says dead, the watch keeps running" \
    wait_for ww 4 eval 'status_line | grep -qE "^ ww  dead  pid '"$WW_PID"'  gen 1  up -" && [[ -n $(watch_pid ww) ]]'
start_bg ww2 "$WW" --segment ww --cpu 60 --seconds 900
WW2_PID=$BG_PID
check "writer restarted: followed (restarted, new pid $WW2_PID, generation 2), new values (30% of 2 cores)" \
    wait_for ww 5 eval 'status_line | grep -qE "^ ww  restarted  pid '"$WW2_PID"'  gen 2 " && has "^CPU .* (2[89]|3[01])\.[0-9]% ok"'

# ---- brrt-demo under its own bounded load: rate and p99, the watch's CPU cost ---------------
start_server brrt-demo "$WORK/demo.log" health "$DEMO" --listen "127.0.0.1:{PORT}" --segment demo \
    --duration 900 --error-rate 0.02 --slow-rate 0.01 || exit 1
DEMO_PID=$SERVER_PID
PORT=$SERVER_PORT
# The load lasts until the checks under load are done (stopped below; at most 120 s, 120000
# requests), however long a loaded machine makes them take.
"$DEMO" load --target "127.0.0.1:$PORT" --duration 120 --rate 1000 --connections 8 >"$WORK/load.out" 2>&1 &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
start demo "$WATCH" -s demo --interval 1
check "demo under load: request rate > 0, p50..p99 shown, CPU > 0, requests in the browser" \
    screen_has demo 6 '^Requests rate [1-9][0-9]*  errors [0-9.]+%  4xx [0-9.]+%  p50 [0-9.]+ (us|ms)  p90 [0-9.]+ (us|ms)  p95 [0-9.]+ (us|ms)  p99 [0-9.]+ (us|ms|s)' \
    '^CPU .* (0\.[1-9]|[1-9][0-9]*\.[0-9])% ' '^brrtrouter_requests_total\{path="/pets",status="200"\} +[0-9]+ +[1-9]' \
    '^ demo  running  pid '"$DEMO_PID"' '
check "demo: the request-rate chart shows the load" \
    wait_for demo 4 eval 'grep -E "^ +req/s " "$TXT" | LC_ALL=C grep -qP "\xe2\x96[\x81-\x88] [1-9]"'
# Low cost: the watch's own CPU time over 6 s at --interval 1, from /proc/PID/schedstat (ns on
# the CPU; /proc/PID/stat's utime + stime in clock ticks where there is no schedstat).
cpu_ns() {
    if [[ -r /proc/$1/schedstat ]]; then
        awk '{print $1}' "/proc/$1/schedstat"
    else
        awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f\n", ($14 + $15) / hz * 1e9}' "/proc/$1/stat"
    fi
}
WPID=$(watch_pid demo)
c0=$(cpu_ns "$WPID")
sleep 6
c1=$(cpu_ns "$WPID")
COST=$(awk -v d=$((c1 - c0)) 'BEGIN { printf "%.3f", d / 1e9 / 6 * 100 }')
check "the watch uses under 2% CPU at --interval 1 under load (measured ${COST}%)" \
    awk -v c="$COST" 'BEGIN { exit !(c < 2) }'
capture demo
if [[ -n ${BRRT_WATCH_CAPTURE:-} ]]; then cp "$WORK/demo.txt" "$BRRT_WATCH_CAPTURE"; fi
keys demo q
check "q quits with exit 0 (demo)" test "$(wait_rc demo 5)" = 0
keys ww q
check "q quits with exit 0 (after a dead and a restarted writer)" test "$(wait_rc ww 5)" = 0
kill "$LOAD_PID" 2>/dev/null || true
wait "$LOAD_PID" 2>/dev/null || true

# ---- the man page -------------------------------------------------------------------------
check "man page: groff -t -man -ww renders without warnings" \
    bash -c '[[ -z $(groff -t -man -Tutf8 -ww -z "$1" 2>&1) ]]' _ "$MANPAGE"
man_exit_codes() { # every "code meaning" line of --help is in the man page's EXIT STATUS
    local line missing=""
    groff -t -man -Tascii -rLL=400n -P-cbou "$MANPAGE" 2>/dev/null |
        sed -n '/^EXIT STATUS$/,/^[A-Z]/p' | sed -E 's/^ +//; s/ +/ /g' >"$WORK/man-exit.txt"
    "$WATCH" --help | sed -n '/^exit status:$/,$p' | tail -n +2 | sed -E 's/^ +//; s/ +/ /g' >"$WORK/help-exit.txt"
    [[ -s $WORK/help-exit.txt ]] || return 1
    while IFS= read -r line; do
        grep -qxF "$line" "$WORK/man-exit.txt" || missing+="  $line"$'\n'
    done <"$WORK/help-exit.txt"
    [[ -z $missing ]] || { printf 'not in the man page EXIT STATUS:\n%s' "$missing" >&2; return 1; }
}
check "man page: EXIT STATUS lists every code of brrt-stat-watch --help" man_exit_codes

brrt_summary "$((SECONDS - T_START)) s"
