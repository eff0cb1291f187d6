"""Upstream Dags `sold` (task load) and `ads` (load -> publish), daily, 30 periods, caught up.

Each `load` announces an Asset event carrying its period: that is how `enrich_assets` learns
which day it is given (data-aware scheduling carries no period of its own). Neither Dag knows
who reads its output (the Mediator pattern): no ExternalTaskMarker here.
"""
from airflow.sdk import DAG, Asset, task

from peers_common import START, now_ms, period_of, record

SOLD = Asset("sold")
ADS_LOADED = Asset("ads_loaded")

with DAG(dag_id="sold", schedule="@daily", start_date=START, catchup=True):

    @task(outlets=[SOLD])
    def load(**context):
        started = now_ms()
        period = period_of(context)
        context["outlet_events"][SOLD].extra = {"period": period}
        record("sold", "load", period, started, context["run_id"])

    load()

with DAG(dag_id="ads", schedule="@daily", start_date=START, catchup=True):

    @task(task_id="load", outlets=[ADS_LOADED])
    def ads_load(**context):
        started = now_ms()
        period = period_of(context)
        context["outlet_events"][ADS_LOADED].extra = {"period": period}
        record("ads", "load", period, started, context["run_id"])

    @task(task_id="publish")
    def ads_publish(**context):
        started = now_ms()
        record("ads", "publish", period_of(context), started, context["run_id"])

    ads_load() >> ads_publish()
