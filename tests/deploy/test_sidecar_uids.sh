#!/usr/bin/env bash
# The sidecar's permission model without a cluster (k8s/sidecar/deployment.yaml): the demo and
# the exporter run as the manifest's two UIDs, with the pod's fsGroup as their supplementary
# group, sharing a tmpfs directory laid out as kubelet leaves an emptyDir with fsGroup (owner
# root, group fsGroup, mode 2777); the exporter sees it through a read-only bind mount. The
# app creates BRRT_STAT_DIR in it, the exporter serves the segment; without the fsGroup the
# exporter cannot read it, and the app refuses the world-writable volume root itself.
# Runs as root (setpriv, mount namespaces); otherwise skipped (77).
# Usage: test_sidecar_uids.sh BIN_DIR SOURCE_DIR
set -euo pipefail
if [[ -z ${BRRT_IN_MOUNT_NS:-} ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null || ! unshare -m true 2>/dev/null; then
    echo "SKIP: needs root, setpriv and mount namespaces"; exit 77
  fi
  exec env BRRT_IN_MOUNT_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
source "$2/tests/integration/lib.sh"
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
brrt_workdir uids-test /dev/shm
chmod 0755 "$WORK"
brrt_at_exit umount "$WORK/app-mnt" "$WORK/exp-mnt"

# The pod's numbers, from the manifest (app first, exporter second).
dep=$SRC/k8s/sidecar/deployment.yaml
fsgroup=$(awk '/fsGroup:/ { print $2; exit }' "$dep")
read -r app_uid exp_uid < <(awk '/runAsUser:/ { printf "%s ", $2 } END { print "" }' "$dep")
read -r app_gid exp_gid < <(awk '/runAsGroup:/ { printf "%s ", $2 } END { print "" }' "$dep")
mnt=$(awk '/mountPath: \/var\/run\/brrtstat/ { print $NF; exit }' "$dep")
dir=$(awk '/value: \/var\/run\/brrtstat/ { print $NF; exit }' "$dep")
sub=${dir#"$mnt"}
check "manifest: fsGroup $fsgroup, app $app_uid:$app_gid, exporter $exp_uid:$exp_gid, BRRT_STAT_DIR=$mnt$sub" \
  test -n "$fsgroup" -a -n "$exp_gid" -a "$app_uid" != "$exp_uid" -a -n "$sub"

# Programs from an installed prefix (RUNPATH $ORIGIN/../lib), readable by any UID.
cmake --install "$BIN/.." --prefix "$WORK/prefix" >/dev/null
P=$WORK/prefix/bin
# emptyDir + fsGroup as kubelet leaves it, seen rw by the app and ro by the exporter.
mkdir "$WORK/vol" "$WORK/app-mnt" "$WORK/exp-mnt"
chown "0:$fsgroup" "$WORK/vol"
chmod 2777 "$WORK/vol"
mount --bind "$WORK/vol" "$WORK/app-mnt"
mount --bind "$WORK/vol" "$WORK/exp-mnt"
mount -o remount,bind,ro "$WORK/exp-mnt"
# (arrays, not functions: a background function would be a subshell the cleanup's kill misses)
AS_APP=(setpriv --reuid "$app_uid" --regid "$app_gid" --groups "$fsgroup" --no-new-privs)
AS_EXP=(setpriv --reuid "$exp_uid" --regid "$exp_gid" --groups "$fsgroup" --no-new-privs)

port=$(free_port)
"${AS_APP[@]}" env BRRT_STAT_DIR="$WORK/app-mnt$sub" "$P/brrt-demo" --listen "127.0.0.1:$port" --segment demo \
  --duration 60 2>"$WORK/demo.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$port/health" 10 || true
"$P/brrt-demo" load --target "127.0.0.1:$port" --requests 200 --connections 2 --duration 10 >/dev/null 2>>"$WORK/demo.log" || true
check "the app created BRRT_STAT_DIR: its uid, group fsGroup (setgid), 2750" \
  eq "$(stat -c '%u:%g %a' "$WORK/vol$sub")" "$app_uid:$fsgroup 2750"
check "the segment: the app's uid, group fsGroup, 0640" eq "$(stat -c '%u:%g %a' "$WORK/vol$sub/demo")" "$app_uid:$fsgroup 640"

eport=$(free_port)
"${AS_EXP[@]}" env BRRT_STAT_DIR="$WORK/exp-mnt$sub" "$P/brrt-stat" export --listen "127.0.0.1:$eport" \
  --segment demo 2>"$WORK/export.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$eport/healthz" 10 || true
curl -s --max-time 5 "http://127.0.0.1:$eport/metrics" >"$WORK/metrics.txt" || true
check "the exporter (uid $exp_uid) serves the segment: brrtstat_segment_up 1" \
  grep -qx 'brrtstat_segment_up{segment="demo"} 1' "$WORK/metrics.txt"
served=$(awk '/^brrtrouter_requests_total\{/ { s += $NF } END { print s + 0 }' "$WORK/metrics.txt")
check "... with the app's requests ($served >= 200)" test "$served" -ge 200
check "the exporter cannot write to its mount (read-only)" \
  bash -c '! "$@" touch "$0/x" 2>/dev/null' "$WORK/exp-mnt$sub" "${AS_EXP[@]}"
check "the exporter cannot write to the segment even through the app's mount (0640)" \
  bash -c '! "$@" sh -c ": >>\"\$0\"" "$0" 2>/dev/null' "$WORK/app-mnt$sub/demo" "${AS_EXP[@]}"
rc=0
setpriv --reuid "$exp_uid" --regid "$exp_gid" --clear-groups --no-new-privs env BRRT_STAT_DIR="$WORK/exp-mnt$sub" \
  "$P/brrt-stat" snapshot --segment demo >/dev/null 2>"$WORK/nogroup.log" || rc=$?
check "without the fsGroup the exporter's UID cannot read the segment (exit $rc)" \
  grep -q 'Permission denied' "$WORK/nogroup.log"
rc=0
"${AS_APP[@]}" env BRRT_STAT_DIR="$WORK/app-mnt" "$P/brrt-demo" --listen "127.0.0.1:$((port + 2))" --segment root \
  --duration 1 >/dev/null 2>"$WORK/root.log" || rc=$?
check "the app refuses the world-writable volume root itself (exit $rc)" grep -q 'unsafe ownership, mode' "$WORK/root.log"
if ((FAIL)); then
  for f in "$WORK"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2
fi
brrt_summary
