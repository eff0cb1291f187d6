#!/bin/sh
# fetch-clicks DATE CAMPAIGN: "downloads" one day of clicks of one campaign into
# $HOMEOSTAT_DATA/raw/DATE/campaign-CAMPAIGN.csv (made-up, but always the same numbers).
set -eu
date=$1
campaign=$2
case $campaign in '' | *[!0-9]*) echo "campaign must be a number, not '$campaign'" >&2; exit 2 ;; esac
case $date in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;; *) echo "date must be YYYY-MM-DD, not '$date'" >&2; exit 2 ;; esac

data=${HOMEOSTAT_DATA:-/tmp/homeostat-quickstart}
dir=$data/raw/$date
mkdir -p "$dir"
day=${date##*-}
day=${day#0}
clicks=$(( (day * 37 + campaign * 11) % 90 + 10 ))

# Write beside the target, then rename: a checker never sees half a file.
printf 'date,campaign,clicks\n%s,%s,%s\n' "$date" "$campaign" "$clicks" > "$dir/.campaign-$campaign.tmp"
mv "$dir/.campaign-$campaign.tmp" "$dir/campaign-$campaign.csv"
echo "wrote raw/$date/campaign-$campaign.csv: $clicks clicks"
