#!/usr/bin/env bash
# The dynamic symbols a shared library defines are exactly the global list of its version
# script, and each of them is declared in one of the given header folders (the documented
# API). usage: check_exports.sh LIBRARY.so VERSION_SCRIPT HEADER_DIR...
set -euo pipefail
lib=$1 map=$2
shift 2
want=$(sed -e 's|/\*.*\*/||' -e '/\/\*/,/\*\//d' "$map" |
       awk '/global:/ {g = 1; next} /local:/ {g = 0} g && /;/ {gsub(/[ ;]/, ""); if ($0 != "") print}' | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}' | sort)
[[ -n $want ]] || { echo "no global symbols read from $map" >&2; exit 1; }
status=0
if [[ $want != "$have" ]]; then
    echo "FAIL: $lib exports differ from $map (< only in the list, > only in the library):" >&2
    diff <(echo "$want") <(echo "$have") >&2 || true
    status=1
fi
for sym in $want; do
    grep -rqw --include='*.h' -- "$sym" "$@" || { echo "FAIL: $sym is not declared in $*" >&2; status=1; }
done
[[ $status -eq 0 ]] && echo "ok: $lib exports the $(wc -l <<<"$want") symbols of $(basename "$map")"
exit $status
