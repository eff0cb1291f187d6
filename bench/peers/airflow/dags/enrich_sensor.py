"""`enrich_sensor`: the dependent, daily like its upstreams, waiting for them with
ExternalTaskSensor (at its defaults: poke mode, poke_interval 60 s): all of `sold` for the same
logical date, and task `load` of `ads` (the single-task case).
"""
from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.sdk import DAG, task

from peers_common import START, now_ms, period_of, record

with DAG(dag_id="enrich_sensor", schedule="@daily", start_date=START, catchup=True):
    wait_sold = ExternalTaskSensor(task_id="wait_sold", external_dag_id="sold", external_task_id=None)
    wait_ads = ExternalTaskSensor(task_id="wait_ads_load", external_dag_id="ads", external_task_id="load")

    @task
    def join(**context):
        started = now_ms()
        record("enrich_sensor", "join", period_of(context), started, context["run_id"])

    [wait_sold, wait_ads] >> join()
