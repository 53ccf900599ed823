# Shared by the integration test scripts (sourced): counted checks and small assertions.
#   pass NAME / fail NAME [DETAIL] / check NAME CMD...  (CMD's exit status decides)
#   eq A B / within V LO HI / wait_http URL SECONDS      (assertions that say why they fail)
#   brrt_summary [NOTE]   the failed names, then the closing "N passed, M failed" line; fails
#                         when anything failed
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
brrt_summary() {
    if ((FAIL)); then
        echo "failed checks:" >&2
        printf '  %s\n' "${FAILED[@]}" >&2
    fi
    echo "$PASS passed, $FAIL failed${1:+ ($1)}"
    ((FAIL == 0))
}
