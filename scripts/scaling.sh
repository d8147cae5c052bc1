#!/usr/bin/env bash
# scaling.sh OJ_BINARY WORKDIR [SCALES...] – the growth series of docs/scaling.md: for each scale,
# synthesise 2015..2017 (seed 5), ingest 2015 and 2016, then run 2017 whole (every stage) under
# `--memory-limit 2GiB`; one line per step with wall time, sampled peak RSS and the spill
# folder's peak size (scripts/bench.sh). Run from the project folder.
set -eu
oj=$1; work=$2; shift 2
scales=${*:-0.1 1 3 10}
bench="$(dirname "$0")/bench.sh"
for s in $scales; do
  d=$work/s$s; rm -rf "$d"; mkdir -p "$d"
  "$oj" synth --out "$d/drops" --years 2015..2017 --scale "$s" --seed 5 > /dev/null 2>&1
  echo "scale $s: drops $(du -sm "$d/drops" | cut -f1) MiB"
  for y in 2015 2016; do
    "$bench" -n 1 -l "scale=$s ingest $y" -s "$d/spill" -- "$oj" --memory-limit 2GiB \
      --spill-dir "$d/spill" run --year $y --stage ingest --drops "$d/drops" --lake "$d/lake" | head -1
  done
  "$bench" -n 1 -l "scale=$s run 2017" -s "$d/spill" -- "$oj" --memory-limit 2GiB \
    --spill-dir "$d/spill" run --year 2017 --drops "$d/drops" --lake "$d/lake" | head -1
  grep -E "  done|^ingest     register" /tmp/bench.last.err | sed "s/^/  scale=$s /"
  rm -rf "$d/drops" "$d/spill"
done
