#!/bin/sh
# fetch-costs PERIOD: the `fetch` task of Dag `ingest`: "downloads" the ad costs of one day
# into $HOMEOSTAT_DATA/ingest/PERIOD/costs.csv.
set -eu
period=$1
case $period in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;; *) echo "period must be YYYY-MM-DD, not '$period'" >&2; exit 2 ;; esac

data=${HOMEOSTAT_DATA:-/tmp/homeostat-quickstart}
dir=$data/ingest/$period
mkdir -p "$dir"
day=${period##*-}
day=${day#0}
printf 'date,cost\n%s,%s.00\n' "$period" "$(( day * 13 % 50 + 20 ))" > "$dir/.costs.tmp"
mv "$dir/.costs.tmp" "$dir/costs.csv"
echo "wrote ingest/$period/costs.csv"
