#!/bin/sh
# step DAG TASK PERIOD [INPUT...]: one task of one Dag for one period, standing in for real work.
# It checks that every INPUT (a file under the data directory that an upstream task wrote) is
# there, writes DAG/PERIOD/TASK.out, and appends "DAG TASK PERIOD" to runs.log, so the order in
# which tasks ran can be read afterwards.
#
# Failing on demand: while $HOMEOSTAT_DATA/fail/DAG.TASK exists the task fails for every period,
# and while $HOMEOSTAT_DATA/fail/DAG.TASK.PERIOD exists it fails for that period (exit code 1).
set -eu
if [ $# -lt 3 ]; then echo "usage: step DAG TASK PERIOD [INPUT...]" >&2; exit 2; fi
dag=$1
task=$2
period=$3
shift 3
case $dag/$task in *[!a-z0-9/-]*) echo "DAG and TASK must be lower-case names, not '$dag' '$task'" >&2; exit 2 ;; esac
case $period in
  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]) ;;
  *) echo "PERIOD must be YYYY-MM-DD or YYYY-MM-DDTHH:MM, not '$period'" >&2; exit 2 ;;
esac

data=${HOMEOSTAT_DATA:-/tmp/homeostat-mediator}
for switch in "$data/fail/$dag.$task" "$data/fail/$dag.$task.$period"; do
  if [ -e "$switch" ]; then
    echo "$dag $task $period: failing on purpose while $switch exists" >&2
    exit 1
  fi
done
for input in "$@"; do
  if [ ! -f "$data/$input" ]; then echo "$dag $task $period: input $input is missing" >&2; exit 1; fi
done

dir=$data/$dag/$period
mkdir -p "$dir"
# Write beside the target, then rename: a reader never sees half a file.
printf '%s %s %s attempt %s\n' "$dag" "$task" "$period" "${HOMEOSTAT_ATTEMPT:-?}" > "$dir/.$task.tmp"
mv "$dir/.$task.tmp" "$dir/$task.out"
echo "$dag $task $period" >> "$data/runs.log"
echo "wrote $dag/$period/$task.out"
