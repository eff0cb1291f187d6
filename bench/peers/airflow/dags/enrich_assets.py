"""`enrich_assets`: the dependent, scheduled by Assets (data-aware scheduling): it runs when both
`sold` and `ads_loaded` have new events since its last run. An Asset event carries no period of
its own, so `join` records the periods of the events that triggered it (their `extra`).
"""
from airflow.sdk import DAG, Asset, task

from peers_common import START, now_ms, record

with DAG(dag_id="enrich_assets", schedule=(Asset("sold") & Asset("ads_loaded")), start_date=START):

    @task
    def join(**context):
        started = now_ms()
        consumes = []
        for asset, events in context["triggering_asset_events"].items():
            name = getattr(asset, "name", str(asset))
            for event in events:
                consumes.append({"asset": name, "period": (event.extra or {}).get("period")})
        record("enrich_assets", "join", "", started, context["run_id"], consumes)

    join()
