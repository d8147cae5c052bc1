#!/usr/bin/env bash
# bench.sh – run a command N times; print wall time and peak RSS (median and range), and the peak
# size of a spill directory.
#
# Usage: scripts/bench.sh [-n N] [-s SPILL_DIR] [-p PREPARE_CMD] [-l LABEL] -- command args...
#   -n N        runs (default 3)
#   -s DIR      spill directory to watch (its peak size with `du`, sampled like RSS)
#   -p CMD      shell command run before every run, untimed (e.g. "rm -rf /tmp/lake")
#   -l LABEL    label printed on each line
#
# Peak RSS is sampled from outside: /proc/<pid>/status VmRSS of the command's process and of its
# children (a `bash -c "a; b; c"` runs them one after the other: the largest one's peak) every 50 ms,
# plus VmHWM read at the same time (the program resets VmHWM per stage, so the sampled maximum of
# both is taken; a peak shorter than 50 ms between two samples can be missed by VmRSS but not by
# VmHWM unless a reset followed it). The command's stdout/stderr go to /tmp/bench.last.{out,err}.
set -u
runs=3; spill=""; prepare=""; label="run"
while getopts "n:s:p:l:" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    s) spill=$OPTARG ;;
    p) prepare=$OPTARG ;;
    l) label=$OPTARG ;;
    *) echo "usage: $0 [-n N] [-s SPILL_DIR] [-p PREPARE] [-l LABEL] -- cmd..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "no command given" >&2; exit 2; }

walls=(); rsss=(); spills=(); rcs=()
for i in $(seq 1 "$runs"); do
  [ -n "$prepare" ] && bash -c "$prepare"
  [ -n "$spill" ] && mkdir -p "$spill"
  start=$(date +%s.%N)
  "$@" > /tmp/bench.last.out 2> /tmp/bench.last.err &
  pid=$!
  peak=0; speak=0
  while kill -0 "$pid" 2>/dev/null; do
    for p in "$pid" $(pgrep -P "$pid"); do
      while read -r key value _; do
        case $key in
          VmRSS:|VmHWM:) [ "$value" -gt "$peak" ] && peak=$value ;;
        esac
      done < <(cat /proc/"$p"/status 2>/dev/null)
    done
    if [ -n "$spill" ]; then
      s=$(du -sk "$spill" 2>/dev/null | cut -f1); [ -n "$s" ] && [ "$s" -gt "$speak" ] && speak=$s
    fi
    sleep 0.05
  done
  wait "$pid"; rc=$?
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  printf '%s #%d wall=%.2f s rss=%d MiB spill=%d MiB rc=%d\n' "$label" "$i" "$wall" $((peak / 1024)) $((speak / 1024)) "$rc"
  walls+=("$wall"); rsss+=($((peak / 1024))); spills+=($((speak / 1024))); rcs+=("$rc")
done

summary() { # name values... → median [min – max]
  local name=$1; shift
  sorted=$(printf '%s\n' "$@" | sort -g)
  n=$#; med=$(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p")
  lo=$(echo "$sorted" | head -1); hi=$(echo "$sorted" | tail -1)
  printf '%s median %.2f [%.2f – %.2f]' "$name" "$med" "$lo" "$hi"
}
echo "$label: $(summary wall_s "${walls[@]}"); $(summary rss_MiB "${rsss[@]}"); $(summary spill_MiB "${spills[@]}"); rc ${rcs[*]}"
