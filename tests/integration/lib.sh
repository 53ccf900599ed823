# Shared by the integration test scripts (sourced): counted checks and small assertions.
# A check prints "FAIL: <what>" (with the assertion's own reason) and counts; brrt_summary
# prints the closing "N passed, M failed" line and fails when anything failed.
passed=0
failed=0
check() { # description, command...
    local what=$1
    shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
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
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
