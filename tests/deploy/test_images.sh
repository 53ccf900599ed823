#!/usr/bin/env bash
# The container images of scripts/build-images.sh, built offline (podman, a private vfs store)
# and checked without starting a container (machines here cannot): each image's exported file
# system holds its programs, exactly the libraries the loader resolves for them and the loader,
# and no shell or package manager; its programs run from it in a chroot as the image's user
# (--version); and the pod is played with both images: the demo (image brrt-demo, uid 10001)
# writes its segment into a bind-mounted tmpfs directory laid out as the sidecar's emptyDir +
# fsGroup, brrt-stat (image brrt-stat, uid 10002, read-only mount) snapshots and exports it;
# both root file systems are mounted read-only (readOnlyRootFilesystem).
# Needs root (chroot, mounts); skipped (77) under sanitizers, whose runtime the images lack.
# Usage: test_images.sh BIN_DIR SOURCE_DIR
set -euo pipefail
if [[ -z ${BRRT_IN_MOUNT_NS:-} ]]; then
  if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
    echo "SKIP: needs root and mount namespaces"; exit 77
  fi
  # grep without -q: an early exit would SIGPIPE ldd, and pipefail would read that as no match
  if ldd "$1/brrt-stat" | grep -E 'lib(a|t|ub)san' >/dev/null; then echo "SKIP: sanitizer build"; exit 77; fi
  exec env BRRT_IN_MOUNT_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
source "$2/tests/integration/lib.sh"
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
brrt_workdir images-test /dev/shm
chmod 0755 "$WORK"
brrt_at_exit umount -R "$WORK/fs-brrt-demo" "$WORK/fs-brrt-stat"
export BRRT_PODMAN_FLAGS="--root $WORK/storage --runroot $WORK/run --storage-driver vfs"
# shellcheck disable=SC2206
PODMAN=(podman $BRRT_PODMAN_FLAGS)
version=$("$BIN/brrt-stat" --version | cut -d' ' -f2)
CHROOT=$(command -v chroot)

"$SRC/scripts/build-images.sh" --build "$BIN/.." >"$WORK/build.log" 2>&1 && rc=0 || rc=$?
check "scripts/build-images.sh builds both images offline" test "$rc" -eq 0

# image  user  programs
for spec in "brrt-demo 10001 brrt-demo" "brrt-stat 10002 brrt-stat brrt-stat-export"; do
  read -r name uid progs <<<"$spec"
  tag=brrtstat/$name:$version
  fs=$WORK/fs-$name
  meta=$("${PODMAN[@]}" image inspect --format '{{.Config.User}} {{index .Config.Entrypoint 0}} {{index .Config.Labels "org.opencontainers.image.version"}}' "$tag" 2>&1 || true)
  check "$tag: user $uid:$uid, entrypoint, version label" eq "$meta" "$uid:$uid /usr/local/bin/${progs%% *} $version"
  mkdir -p "$fs"
  cid=$("${PODMAN[@]}" create "$tag" 2>>"$WORK/build.log" || true)
  "${PODMAN[@]}" export "$cid" 2>>"$WORK/build.log" | tar -x -C "$fs" || true
  "${PODMAN[@]}" rm "$cid" >/dev/null 2>&1 || true
  (cd "$fs" && find . -type f | sed 's|^\./|/|' | sort) >"$WORK/$name.files"
  # /proc and /dev as a container runtime provides them (the loader finds $ORIGIN in /proc).
  mkdir -p "$fs/proc" "$fs/dev" "$fs/var/run/brrtstat"
  mount --bind "$fs" "$fs" # a mount point of its own, to be made read-only below
  mount --rbind /proc "$fs/proc"
  mount --rbind /dev "$fs/dev"
  check "$name: the programs are in the image" \
    bash -c 'for p in $2; do grep -qx "/usr/local/bin/$p" "$1" || exit 1; done' _ "$WORK/$name.files" "$progs"
  check "$name: no shell, no package manager" \
    test -z "$(grep -E '/(sh|bash|dash|ash|busybox|apt|apt-get|dpkg|rpm|yum|pip3?)$' "$WORK/$name.files")"
  # Exactly what the image's own loader resolves for its programs, and the loader.
  loader=$(grep -E '^/lib(64)?/ld-linux' "$WORK/$name.files" | head -1)
  for p in $progs; do chroot "$fs" "$loader" --list "/usr/local/bin/$p"; done >"$WORK/$name.ldd" 2>&1 || true
  check "$name: every library resolves inside the image" test -z "$(grep 'not found' "$WORK/$name.ldd")"
  awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }' "$WORK/$name.ldd" |
    sed 's|/[^/]*/\.\./|/|g' | sort -u >"$WORK/$name.needed"
  grep -v '^/usr/local/bin/' "$WORK/$name.files" >"$WORK/$name.libs"
  check "$name: the image holds exactly the programs, their libraries and the loader" \
    diff "$WORK/$name.needed" "$WORK/$name.libs"
  for p in $progs; do
    out=$(chroot --userspec="$uid:$uid" "$fs" "/usr/local/bin/$p" --version 2>&1 || true)
    check "$name: chroot, uid $uid: $p --version is \"$p $version\"" eq "$out" "$p $version"
  done
done

# --rootfs (the multi-stage recipe's path) assembles the same file systems without podman.
"$SRC/scripts/build-images.sh" --build "$BIN/.." --rootfs "$WORK/rootfs" >>"$WORK/build.log" 2>&1 || true
for name in brrt-demo brrt-stat; do
  check "$name: --rootfs assembles the image's files" \
    diff <(cd "$WORK/rootfs/$name/rootfs" && find . -type f | sed 's|^\./|/|' | sort) "$WORK/$name.files"
done

# The pod, with both images: their root file systems read-only, /proc and /dev as a runtime
# gives them, the emptyDir (root:10000 2777) rw for the demo and ro for brrt-stat.
fsgroup=10000
mkdir "$WORK/vol"
chown "0:$fsgroup" "$WORK/vol"
chmod 2777 "$WORK/vol"
for name in brrt-demo brrt-stat; do
  fs=$WORK/fs-$name
  mount --bind "$WORK/vol" "$fs/var/run/brrtstat"
  mount -o remount,bind,ro "$fs"
done
mount -o remount,bind,ro "$WORK/fs-brrt-stat/var/run/brrtstat"
check "the images' root file systems are read-only" \
  bash -c '! touch "$1/usr/local/bin/x" 2>/dev/null' _ "$WORK/fs-brrt-demo"
port=$(free_port)
env -i BRRT_STAT_DIR=/var/run/brrtstat/segments "$CHROOT" --userspec=10001:10001 --groups="$fsgroup" \
  "$WORK/fs-brrt-demo" /usr/local/bin/brrt-demo --listen "127.0.0.1:$port" --segment demo \
  --duration 60 2>"$WORK/demo.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$port/health" 10 || true
"$BIN/brrt-demo" load --target "127.0.0.1:$port" --requests 100 --connections 2 --duration 10 >/dev/null 2>>"$WORK/demo.log" || true
check "the demo from its image wrote the segment (uid 10001, group $fsgroup, 0640)" \
  eq "$(stat -c '%u:%g %a' "$WORK/vol/segments/demo" 2>&1)" "10001:$fsgroup 640"
env -i BRRT_STAT_DIR=/var/run/brrtstat/segments "$CHROOT" --userspec=10002:10002 --groups="$fsgroup" \
  "$WORK/fs-brrt-stat" /usr/local/bin/brrt-stat snapshot --segment demo -f prometheus \
  >"$WORK/snapshot.txt" 2>"$WORK/snapshot.log" || true
served=$(awk '/^brrtrouter_requests_total\{/ { s += $NF } END { print s + 0 }' "$WORK/snapshot.txt")
check "brrt-stat snapshot from its image reads it ($served requests >= 100)" test "$served" -ge 100
eport=$(free_port)
env -i BRRT_STAT_DIR=/var/run/brrtstat/segments "$CHROOT" --userspec=10002:10002 --groups="$fsgroup" \
  "$WORK/fs-brrt-stat" /usr/local/bin/brrt-stat export --listen "127.0.0.1:$eport" --segment demo \
  2>"$WORK/export.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$eport/healthz" 10 || true
curl -s --max-time 5 "http://127.0.0.1:$eport/metrics" >"$WORK/metrics.txt" || true
check "the exporter from its image serves it (brrtstat_segment_up 1)" \
  grep -qx 'brrtstat_segment_up{segment="demo"} 1' "$WORK/metrics.txt"
check "... as version $version" grep -qx "brrtstat_exporter_build_info{version=\"$version\"} 1" "$WORK/metrics.txt"
if ((FAIL)); then
  for f in "$WORK"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2
fi
brrt_summary
