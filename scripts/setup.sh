#!/usr/bin/env bash
# Installs what brrtstat needs from Debian 12 packages (only what is missing). Idempotent.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
      liburcu-dev libmicrohttpd-dev libncurses-dev libcjson-dev check zlib1g-dev
      libprotobuf-c-dev protobuf-c-compiler protobuf-compiler python3
      prometheus wrk tmux yamllint locales
      python3-prometheus-client
      podman)  # podman: scripts/build-images.sh (tests/deploy/test_images.sh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
