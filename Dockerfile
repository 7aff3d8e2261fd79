# The one image every Airflow service of docker-compose.yml runs: Airflow's official image (it
# brings the entrypoint, the PostgreSQL driver, the Celery and FAB providers a deployment needs),
# with this project's own pinned dependencies from requirements.lock and the project itself.
# Nothing is installed when a container starts (no _PIP_ADDITIONAL_REQUIREMENTS): the image is
# rebuilt instead, so every container runs exactly what was built and tested.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}
ARG AIRFLOW_VERSION

USER root
# Where the named volumes mount; created here so that fresh volumes start owned by the airflow
# user (UID 50000, group 0), as Docker copies an image folder's ownership into a new volume.
RUN mkdir -p /data/warehouse /data/raw /opt/airflow/logs \
    && chown -R 50000:0 /data /opt/airflow/logs \
    && chmod -R g+rwX /data /opt/airflow/logs
USER airflow

# The lock first, on its own layer: a change to the code alone does not reinstall dependencies.
# Airflow is pinned again so that pip can never swap the image's Airflow for another version.
COPY --chown=airflow:0 requirements.lock /opt/eurasia/requirements.lock
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/eurasia/requirements.lock

# The project as in the checkout: the package, its DAG, the dbt project. It is imported from
# /opt/eurasia (PYTHONPATH) rather than installed, so that its dbt_project/ stays beside it.
COPY --chown=airflow:0 pyproject.toml /opt/eurasia/
COPY --chown=airflow:0 eurasia /opt/eurasia/eurasia
COPY --chown=airflow:0 dags /opt/eurasia/dags
COPY --chown=airflow:0 dbt_project /opt/eurasia/dbt_project
ENV PYTHONPATH=/opt/eurasia \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/eurasia/dags \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    DO_NOT_TRACK=1
