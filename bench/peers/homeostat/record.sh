#!/bin/sh
# record DAG TASK PERIOD: the whole of every task of the Homeostat side of bench/peers. It does
# nothing but append one JSON line (its start and end in ms since the epoch) to $PEERS_RECORDS,
# like the Airflow side's tasks (airflow/dags/peers_common.py), so the figures measure the
# orchestrator. Arguments are names and dates (checked), never shell code.
set -eu
start=$(date +%s%3N)
case "$1$2$3" in *[!a-z0-9-]*) echo "record: DAG, TASK and PERIOD must be [a-z0-9-], not '$1' '$2' '$3'" >&2; exit 2 ;; esac
printf '{"system":"homeostat","dag":"%s","task":"%s","period":"%s","start":%s,"end":%s,"run":"%s"}\n' \
  "$1" "$2" "$3" "$start" "$(date +%s%3N)" "${HOMEOSTAT_ACTION:-}" >> "$PEERS_RECORDS"
