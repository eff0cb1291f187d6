"""Shared by the Airflow side of bench/peers: the periods and how a task records itself.

Every task does nothing but append one JSON line to $PEERS_RECORDS (its start and end, in ms since
the epoch), so what the benchmark measures is the orchestrator, not the work. The Homeostat side
writes the same lines (bench/peers/homeostat/record.sh).
"""
import json
import os
import time
from datetime import datetime, timezone

# The first of the 30 daily periods (YYYY-MM-DD), set by the benchmark before Airflow starts.
START = datetime.strptime(os.environ["PEERS_START"], "%Y-%m-%d").replace(tzinfo=timezone.utc)


def record(dag: str, task: str, period: str, start_ms: int, run: str, consumes=None) -> None:
    line = {"system": "airflow", "dag": dag, "task": task, "period": period, "start": start_ms, "end": int(time.time() * 1000), "run": run}
    if consumes is not None:
        line["consumes"] = consumes
    # One write of one line in append mode: lines of concurrent tasks do not interleave.
    with open(os.environ["PEERS_RECORDS"], "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def now_ms() -> int:
    return int(time.time() * 1000)


def period_of(context) -> str:
    return context["logical_date"].strftime("%Y-%m-%d")
