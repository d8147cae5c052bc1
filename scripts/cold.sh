#!/usr/bin/env bash
# cold.sh OJ_BINARY DROPS LAKE [global flags...] – issue 15's "cold three years": into an empty LAKE,
# ingest 2015, ingest 2016, then run 2017 whole (every stage), from DROPS (e.g. made with
# `oj synth --out DROPS --years 2015..2017 --scale 1.0 --seed 5`). Flags go before `run` (e.g.
# --memory-limit 1GiB, --project DIR). Time it with scripts/bench.sh, emptying the lake first:
#   scripts/bench.sh -n 3 -l cold -p "rm -rf /tmp/c3lake" -- scripts/cold.sh target/release/oj DROPS /tmp/c3lake
set -eu
oj=$1; drops=$2; lake=$3; shift 3
"$oj" "$@" run --year 2015 --stage ingest --drops "$drops" --lake "$lake"
"$oj" "$@" run --year 2016 --stage ingest --drops "$drops" --lake "$lake"
"$oj" "$@" run --year 2017 --drops "$drops" --lake "$lake"
