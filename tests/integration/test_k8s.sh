#!/usr/bin/env bash
# The exporter sidecar example (k8s/sidecar) checked offline: kustomize builds it, kubectl
# parses each object (--local), the Kubernetes and Prometheus Operator schemas accept it,
# yamllint is clean, the sidecar contract holds (Pod Security "restricted" on every container,
# two UIDs and an fsGroup, one scrape path that kube-prometheus-stack selects, measured
# limits), the documented overlay for another Prometheus release works, and each broken field
# is rejected (the checks can fail).
# Usage: test_k8s.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
HERE=$SRC/tests/integration
brrt_workdir k8s-test
# shellcheck source=tests/integration/node_env.sh
source "$HERE/node_env.sh"
brrt_node_env "$BIN" "$SRC" "$WORK/npm.log"

kubectl kustomize "$SRC/k8s/sidecar" >"$WORK/all.yaml"
check "kustomize builds k8s/sidecar" test -s "$WORK/all.yaml"
for f in deployment service; do
  check "kubectl parses $f.yaml offline" eq "$(kubectl label --local -f "$SRC/k8s/sidecar/$f.yaml" -o name probe=1)" "$( [[ $f == deployment ]] && echo deployment.apps/brrt-demo || echo service/brrt-demo)"
done
check "yamllint --strict is clean on k8s/sidecar" yamllint --strict -c "$SRC/k8s/yamllint.yml" "$SRC/k8s/sidecar"
out=$(node "$HERE/k8s_validate.mjs" --sidecar <"$WORK/all.yaml" 2>&1) && rc=0 || rc=$?
check "schemas accept every object and the sidecar contract holds: $out" test "$rc" -eq 0
check "three objects validated" test "$(grep -c '^[A-Za-z]*/[a-z-]* ok$' <<<"$out")" -eq 3
sed 's/replicas: 2/replicas: two/' "$WORK/all.yaml" | node "$HERE/k8s_validate.mjs" >/dev/null 2>&1 && rc=0 || rc=$?
check "a Deployment with replicas: two is rejected" test "$rc" -ne 0

# Each field the contract needs, broken in one place of kustomize's output: the check must say
# no, for that reason. mutate OLD NEW N: OLD -> NEW in the Nth line holding OLD (all: every
# such line; NEW empty: the line goes). In the output, the 1st occurrence of a container field
# is the app's, the 2nd the exporter's (the pod-level ones come after the containers).
# All variants are judged by one node run (--each).
mutate() {
  awk -v old="$1" -v new="$2" -v n="$3" '
    index($0, old) { k++; if (n == "all" || k == n) { if (new == "") next; i = index($0, old)
      $0 = substr($0, 1, i - 1) new substr($0, i + length(old)) } }
    { print }' "$WORK/all.yaml"
}
mkdir "$WORK/mut"
NAMES=() REASONS=()
expect_reject() { # name, reason (a substring of the verdict), OLD NEW N
  local f=$WORK/mut/${#NAMES[@]}.yaml
  mutate "$3" "$4" "$5" >"$f"
  cmp -s "$f" "$WORK/all.yaml" && echo "  $1: the edit changed nothing" >&2 && : >"$f"
  NAMES+=("$1")
  REASONS+=("$2")
}
for n in 1 2; do
  c=$([[ $n == 1 ]] && echo app || echo exporter)
  expect_reject "$c: allowPrivilegeEscalation true" "container $c: allowPrivilegeEscalation" \
    'allowPrivilegeEscalation: false' 'allowPrivilegeEscalation: true' $n
  expect_reject "$c: readOnlyRootFilesystem false" "container $c: readOnlyRootFilesystem" \
    'readOnlyRootFilesystem: true' 'readOnlyRootFilesystem: false' $n
  expect_reject "$c: runAsNonRoot false" "container $c: runAsNonRoot" 'runAsNonRoot: true' 'runAsNonRoot: false' $n
  expect_reject "$c: capabilities not dropping ALL" "container $c: capabilities must drop ALL" '- ALL' '- NET_RAW' $n
  expect_reject "$c: seccompProfile Unconfined" "container $c: seccompProfile" 'type: RuntimeDefault' 'type: Unconfined' $n
  expect_reject "$c: runAsUser 0" "container $c: runAsUser 0" "runAsUser: 1000$n" 'runAsUser: 0' 1
done
expect_reject "app and exporter as one UID" "two different" 'runAsUser: 10002' 'runAsUser: 10001' 1
expect_reject "no fsGroup" "fsGroup" 'fsGroup: 10000' 'supplementalGroups: [10000]' 1
expect_reject "a writable exporter mount" "read-only" 'readOnly: true' '' 1
expect_reject "BRRT_STAT_DIR at the (2777) volume root" "subdirectory" \
  'value: /var/run/brrtstat/segments' 'value: /var/run/brrtstat' all
expect_reject "an emptyDir without sizeLimit" "sizeLimit" 'sizeLimit:' '' 1
expect_reject "an exporter without a memory limit" "container exporter: needs memory/cpu limits" 'memory: 32Mi' '' 1
expect_reject "a ServiceMonitor without the release label" "release label" 'release: kube-prometheus-stack' 'team: x' 1
expect_reject "pod scrape annotations beside the ServiceMonitor" "scraped twice" 'metadata:' \
  'metadata:\n      annotations:\n        prometheus.io/scrape: "true"' 3
node "$HERE/k8s_validate.mjs" --sidecar --each "$WORK"/mut/*.yaml >"$WORK/verdicts.txt" 2>&1 || true
for i in "${!NAMES[@]}"; do
  v=$(grep -F "$WORK/mut/$i.yaml: " "$WORK/verdicts.txt" || true)
  check "${NAMES[$i]} is rejected (${REASONS[$i]})" grep -qF -- "${REASONS[$i]}" <<<"${v#*: rejected: }"
  [[ $v == *": rejected: "* ]] || echo "  verdict: ${v:-none}" >&2
done

# The overlay docs/deploy.md shows for a kube-prometheus-stack installed under another name.
cp -r "$SRC/k8s" "$WORK/k8s"
mkdir -p "$WORK/k8s/overlays/my-prometheus"
sed -n '/^# overlay: k8s\/overlays\/my-prometheus\/kustomization.yaml$/,/^# end overlay$/p' "$SRC/docs/deploy.md" |
  sed '1d;$d' >"$WORK/k8s/overlays/my-prometheus/kustomization.yaml"
kubectl kustomize "$WORK/k8s/overlays/my-prometheus" >"$WORK/overlay.yaml" 2>"$WORK/overlay.err" || cat "$WORK/overlay.err" >&2
check "docs/deploy.md's overlay relabels the ServiceMonitor (release: my-prometheus)" \
  grep -q '^    release: my-prometheus$' "$WORK/overlay.yaml"
check "... and the result still holds the contract" node "$HERE/k8s_validate.mjs" --sidecar <"$WORK/overlay.yaml"
kubectl kustomize "$SRC/k8s/observability" >"$WORK/observability.yaml"
check "the PrometheusRule (k8s/observability) carries release: kube-prometheus-stack too" \
  test "$(awk '/^kind: PrometheusRule/ { r = 1 } /^---/ { r = 0 } r && /^    release: kube-prometheus-stack$/' "$WORK/observability.yaml" | wc -l)" -eq 1
check "the sidecar's exporter flags are real ones" grep -q -- '--listen ADDR:PORT \[--segment NAME' <<<"$("$BIN/brrt-stat" export --help)"
brrt_summary
