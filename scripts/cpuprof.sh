#!/usr/bin/env bash
# cpuprof.sh – run a command and print, every 0.1 s, the CPU ticks it used since the last line
# (utime + stime from /proc/PID/stat; with CLK_TCK = 100, about 10 per busy core per line: 20 – 22
# means both cores of the project's machine were busy). Shows where a run is bound by CPU and
# where it runs on one core. The command's stdout/stderr go to /tmp/cpuprof.{out,err}.
#
# Usage: scripts/cpuprof.sh command args...
set -u
[ $# -gt 0 ] || { echo "usage: $0 command args..." >&2; exit 2; }
"$@" > /tmp/cpuprof.out 2> /tmp/cpuprof.err &
pid=$!
prev=0; t0=$(date +%s.%N)
while kill -0 "$pid" 2>/dev/null; do
  read -r -a f < /proc/"$pid"/stat 2>/dev/null || break
  cur=$(( ${f[13]} + ${f[14]} ))
  printf "%5.2f %s\n" "$(echo "$(date +%s.%N) - $t0" | bc)" $(( cur - prev ))
  prev=$cur
  sleep 0.1
done
wait "$pid"
