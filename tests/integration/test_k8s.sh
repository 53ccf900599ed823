#!/usr/bin/env bash
# The exporter sidecar example (k8s/sidecar) checked offline: kustomize builds it, kubectl
# parses each object (--local), the Kubernetes and Prometheus Operator schemas accept it, the
# sidecar contract holds, and a broken manifest is rejected (the check can fail).
# Usage: test_k8s.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
HERE=$SRC/tests/integration
WORK=$(mktemp -d /tmp/brrt-k8s-test-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=tests/integration/node_env.sh
source "$HERE/node_env.sh"
brrt_node_env "$BIN" "$SRC" "$WORK/npm.log"

kubectl kustomize "$SRC/k8s/sidecar" >"$WORK/all.yaml"
check "kustomize builds k8s/sidecar" test -s "$WORK/all.yaml"
for f in deployment service; do
  check "kubectl parses $f.yaml offline" eq "$(kubectl label --local -f "$SRC/k8s/sidecar/$f.yaml" -o name probe=1)" "$( [[ $f == deployment ]] && echo deployment.apps/brrt-demo || echo service/brrt-demo)"
done
out=$(node "$HERE/k8s_validate.mjs" --sidecar <"$WORK/all.yaml" 2>&1) && rc=0 || rc=$?
check "schemas accept every object and the sidecar contract holds: $out" test "$rc" -eq 0
check "three objects validated" test "$(grep -c '^[A-Za-z]*/[a-z-]* ok$' <<<"$out")" -eq 3
sed 's/replicas: 2/replicas: two/' "$WORK/all.yaml" | node "$HERE/k8s_validate.mjs" >/dev/null 2>&1 && rc=0 || rc=$?
check "a Deployment with replicas: two is rejected" test "$rc" -ne 0
sed 's/readOnly: true/readOnly: false/' "$WORK/all.yaml" | node "$HERE/k8s_validate.mjs" --sidecar >/dev/null 2>&1 && rc=0 || rc=$?
check "a writable exporter mount breaks the sidecar contract" test "$rc" -ne 0
check "the sidecar's exporter flags are real ones" grep -q -- '--listen ADDR:PORT \[--segment NAME' <<<"$("$BIN/brrt-stat" export --help)"
brrt_summary
