#!/bin/sh
# publish PERIOD: the second task of Dag `report`: copies reports/PERIOD.txt to published/.
set -eu
period=$1
case $period in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;; *) echo "period must be YYYY-MM-DD, not '$period'" >&2; exit 2 ;; esac

data=${HOMEOSTAT_DATA:-/tmp/homeostat-quickstart}
mkdir -p "$data/published"
cp "$data/reports/$period.txt" "$data/published/.$period.tmp"
mv "$data/published/.$period.tmp" "$data/published/$period.txt"
echo "published $period"
