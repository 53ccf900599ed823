#!/usr/bin/env bash
# docs/segment-format.md's field tables (§5 header, §6 entry, §8 histogram schema) and the
# BRRT_SHM_FIELD offset asserts of shm_format.h list the same fields at the same offsets and
# sizes, so the compiler checks the document's numbers. usage: check_format_doc.sh SOURCE_DIR
set -euo pipefail
src=$1
table() { # struct, first heading, next heading: "struct field offset size" per row
  awk -v st="$1" -v a="$2" -v b="$3" 'index($0, a) == 1 {on = 1; next} index($0, b) == 1 {on = 0}
    on && /^\| [0-9]+ \| [0-9]+ \|/ {split($0, c, "|"); f = c[5]; gsub(/[ `]/, "", f)
      o = c[2]; s = c[3]; gsub(/ /, "", o); gsub(/ /, "", s); print st, f, o, s}' \
    "$src/docs/segment-format.md"
}
doc=$( { table brrt_shm_header '## 5. Header' '## 6.'
         table brrt_shm_entry '## 6. Directory entry' '## 7.'
         table brrt_shm_hist_schema '## 8. Histogram schema' '## 9.'; } | sort)
hdr=$(sed -n 's/^BRRT_SHM_FIELD(\([a-z_]*\), \([a-z_0-9]*\), \([0-9]*\), \([0-9]*\));$/\1 \2 \3 \4/p' \
      "$src/shm/include/brrtstat/shm_format.h" | sort)
[[ $(wc -l <<<"$doc") -ge 50 ]] || { echo "FAIL: read only $(wc -l <<<"$doc") rows from the document" >&2; exit 1; }
if [[ $doc != "$hdr" ]]; then
  echo "FAIL: segment-format.md (<) and shm_format.h's BRRT_SHM_FIELD asserts (>) differ:" >&2
  diff <(echo "$doc") <(echo "$hdr") >&2 || true
  exit 1
fi
echo "ok: $(wc -l <<<"$doc") fields, document and compile-time asserts agree"
