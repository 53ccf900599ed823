# Shared by the integration test scripts (sourced): counted checks and small assertions.
#   pass NAME / fail NAME [DETAIL] / check NAME CMD...  (CMD's exit status decides)
#   eq A B / within V LO HI / wait_http URL SECONDS      (assertions that say why they fail)
#   poll SECONDS CMD...   runs CMD every 0.1 s until it succeeds (returns 0 at once) or SECONDS
#                         have passed (returns 1): wait for a condition, never a fixed sleep
#   brrt_summary [NOTE]   the failed names, then the closing "N passed, M failed" line; fails
#                         when anything failed (and then shows the server logs, below)
#   free_port             a TCP port on 127.0.0.1 that nothing is bound to right now, from
#                         20000..32767 (below Linux's ephemeral range, so no client socket of
#                         a parallel test takes it); bind-tested, not guessed
#   start_server NAME LOG READY_PATH CMD...
#                         starts CMD in the background (stdout+stderr to LOG, registered with
#                         brrt_log), every {PORT} in CMD replaced by a free_port, and waits
#                         until http://127.0.0.1:PORT/READY_PATH answers 2xx (30 s). A server
#                         that exits before (a port taken meanwhile by another test: "address
#                         already in use") is started again on a new port, up to 5 times.
#                         Sets SERVER_PID and SERVER_PORT and adds the PID to PIDS (stopped at
#                         exit by brrt_workdir's trap); returns 1 (with its log) on failure, the
#                         server that did not answer stopped.
#   start_prometheus NAME JOB TARGET RULES [FLAGS...]
#                         a real Prometheus in $WORK/NAME (config, tsdb, prometheus.log) that
#                         scrapes TARGET (host:port) as job JOB every 1 s (timeout 1 s), evaluates
#                         RULES (a rule file, or "" for none) every 1 s; FLAGS go to prometheus.
#                         Started with start_server (ready: /-/ready); sets PROM (its URL).
#   brrt_log FILE...      registers server logs; brrt_show_logs prints the tail of each one
#                         (and of every other *.log in $WORK and its subdirectories' top level).
#                         brrt_workdir's EXIT trap calls it when the test failed; brrt_summary
#                         calls it for failed checks
#   brrt_workdir NAME [PARENT]
#                         the prologue every script shares: WORK=$(mktemp -d PARENT/brrt-NAME.XXXXXX)
#                         (PARENT: $TMPDIR or /tmp), BRRT_STAT_DIR=$WORK/shm (0750, exported),
#                         PIDS=() (append every background process) and the traps. At exit the
#                         PIDS get SIGCONT+SIGTERM (SIGKILL after 5 s) and are waited for, the
#                         brrt_at_exit commands run, the logs' tails are shown when the exit status
#                         is not 0 or a check failed, and WORK is removed (KEEP_WORK=1 keeps it).
#                         INT and TERM exit 130 through the same path.
#   brrt_at_exit CMD...   one more cleanup step for that trap (unmounts, a private tmux server)
PASS=0
FAIL=0
FAILED=()
pass() {
    PASS=$((PASS + 1))
    echo "ok      $1"
}
fail() {
    FAIL=$((FAIL + 1))
    FAILED+=("$1")
    echo "FAILED  $1" >&2
    if [[ -n ${2:-} ]]; then printf '%s\n' "$2" | sed 's/^/        /' >&2; fi
}
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
eq() { [[ "$1" == "$2" ]] || { echo "  expected [$2], got [$1]" >&2; return 1; }; }
within() { # value, low, high (numbers; awk compares them as floats)
    awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }' ||
        { echo "  $1 not in [$2, $3]" >&2; return 1; }
}
wait_http() { # url, seconds
    local i
    for ((i = 0; i < $2 * 10; i++)); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "  $1 did not answer within $2 s" >&2
    return 1
}
poll() { # seconds, command...
    local end=$((SECONDS + $1))
    shift
    while :; do
        "$@" && return 0
        ((SECONDS < end)) || return 1
        sleep 0.1
    done
}
BRRT_LOGS=()
brrt_log() { BRRT_LOGS+=("$@"); }
BRRT_LOGS_SHOWN=0
brrt_show_logs() {
    ((BRRT_LOGS_SHOWN)) && return 0
    BRRT_LOGS_SHOWN=1
    local f
    local -a all=("${BRRT_LOGS[@]}")
    if [[ -n ${WORK:-} && -d $WORK ]]; then # logs a test wrote without registering them
        while IFS= read -r f; do
            [[ " ${all[*]} " == *" $f "* ]] || all+=("$f")
        done < <(find "$WORK" -maxdepth 2 -name '*.log' -type f 2>/dev/null | sort)
    fi
    for f in "${all[@]}"; do
        echo "---- last 40 lines of $f" >&2
        if [[ -e $f ]]; then tail -n 40 "$f" | cut -c1-400 >&2; else echo "(no such file)" >&2; fi
    done
}
BRRT_AT_EXIT=()
brrt_at_exit() { BRRT_AT_EXIT+=("$(printf '%q ' "$@")"); }
brrt_workdir() { # name, [parent]
    WORK=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/brrt-$1.XXXXXX")
    export BRRT_STAT_DIR=$WORK/shm
    mkdir -m 0750 "$BRRT_STAT_DIR"
    PIDS=()
    trap brrt__cleanup EXIT
    trap 'exit 130' INT TERM
}
brrt__pids_gone() {
    local p
    for p in "${PIDS[@]}"; do ! kill -0 "$p" 2>/dev/null || return 1; done
}
brrt__cleanup() {
    local rc=$? p cmd
    for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done
    poll 5 brrt__pids_gone || for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    for cmd in "${BRRT_AT_EXIT[@]}"; do eval "$cmd" 2>/dev/null || true; done
    ((rc == 0 && FAIL == 0)) || brrt_show_logs
    if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
    return "$rc"
}
free_port() {
    python3 -c '
import random, socket, sys
for _ in range(200):
    p = random.randint(20000, 32767)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit("free_port: no free port found in 200 tries")'
}
start_server() {
    local name=$1 log=$2 ready=$3 attempt i port arg
    shift 3
    brrt_log "$log"
    for ((attempt = 1; attempt <= 5; attempt++)); do
        port=$(free_port) || return 1
        local cmd=()
        for arg in "$@"; do cmd+=("${arg//\{PORT\}/$port}"); done
        echo "== $name, attempt $attempt, port $port: ${cmd[*]}" >>"$log"
        "${cmd[@]}" >>"$log" 2>&1 &
        SERVER_PID=$!
        SERVER_PORT=$port
        PIDS+=("$SERVER_PID")
        for ((i = 0; i < 300; i++)); do
            if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port/$ready"; then
                return 0
            fi
            if ! kill -0 "$SERVER_PID" 2>/dev/null; then
                wait "$SERVER_PID" 2>/dev/null || true
                break
            fi
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "  $name did not answer http://127.0.0.1:$port/$ready within 30 s" >&2
            kill "$SERVER_PID" 2>/dev/null || true
            tail -n 40 "$log" >&2
            return 1
        fi
        if ! grep -qiE 'address already in use|cannot listen|bind' "$log"; then
            echo "  $name exited during start-up (not a port clash):" >&2
            tail -n 40 "$log" >&2
            return 1
        fi
        echo "  $name: port $port was taken, retrying on another" >&2
    done
    echo "  $name: no port after 5 attempts" >&2
    tail -n 40 "$log" >&2
    return 1
}
start_prometheus() { # name, job, target, rules file or "", prometheus flags...
    local name=$1 job=$2 target=$3 rules=$4
    shift 4
    mkdir -p "$WORK/$name"
    {
        echo "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}"
        [[ -z $rules ]] || echo "rule_files: ['$rules']"
        echo "scrape_configs:"
        echo "  - job_name: $job"
        echo "    static_configs: [{targets: ['$target']}]"
    } >"$WORK/$name/prometheus.yml"
    start_server "prometheus ($name)" "$WORK/$name/prometheus.log" -/ready prometheus \
        --config.file="$WORK/$name/prometheus.yml" --storage.tsdb.path="$WORK/$name/tsdb" \
        --web.listen-address="127.0.0.1:{PORT}" --log.level=warn "$@" || return 1
    PROM=http://127.0.0.1:$SERVER_PORT
}
brrt_summary() {
    if ((FAIL)); then
        echo "failed checks:" >&2
        printf '  %s\n' "${FAILED[@]}" >&2
        brrt_show_logs
    fi
    echo "$PASS passed, $FAIL failed${1:+ ($1)}"
    ((FAIL == 0))
}
