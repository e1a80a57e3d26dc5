# Airflow image for the workforce pipeline.
#
# Built by docker-compose.yml (`docker compose build`). Extends the official image, pinned to the
# Airflow version in pyproject.toml and to Python 3.11 (the official default is 3.12; the lock file
# was resolved on 3.11). Dependencies are installed here, at build time, from requirements.lock,
# never at container start with _PIP_ADDITIONAL_REQUIREMENTS.
FROM apache/airflow:3.3.2-python3.11

# Headless Chromium (Debian package) prints the scrutiny pack to PDF (the DAG's `pack` task,
# workforce.pack.chromium); installed as root, then back to the image's `airflow` user.
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
USER airflow

# The base image runs as the unprivileged `airflow` user (group 0); pip installs into its user site.
# Build in a directory that user owns, because setuptools writes build/ and *.egg-info in the tree.
# /opt/airflow is the airflow user's home, so it may create this build directory.
RUN mkdir -p /opt/airflow/workforce-src
COPY --chown=airflow:0 pyproject.toml requirements.lock /opt/airflow/workforce-src/
COPY --chown=airflow:0 include/ /opt/airflow/workforce-src/include/
# Non-editable install of the `workforce` package with the pinned set as constraints, then
# `pip check`: the lock was resolved without the image's bundled providers, so fail the build
# here rather than at run time if a pin conflicts with one of them.
RUN cd /opt/airflow/workforce-src \
    && pip install --no-cache-dir -c requirements.lock '.[postgres]' \
    && pip check \
    && cd / \
    && rm -rf /opt/airflow/workforce-src

# Code and project files the installed package cannot find relative to itself once installed
# non-editable (config.PROJECT_ROOT points into site-packages); docker-compose.yml and the ENV
# below point the package at these directories.
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 dbt_project/ /opt/airflow/dbt_project/
COPY --chown=airflow:0 expectations/ /opt/airflow/expectations/

# Mount points. Created here so a named volume mounted on them starts out owned by airflow:0 and
# group-writable (the image supports an arbitrary UID as long as the group is 0).
RUN mkdir -p /opt/airflow/workforce-data /opt/airflow/landing \
    && chmod -R g+rwX /opt/airflow/workforce-data /opt/airflow/landing \
        /opt/airflow/dbt_project /opt/airflow/expectations

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=false \
    WORKFORCE_DBT_PROJECT_DIR=/opt/airflow/dbt_project \
    WORKFORCE_EXPECTATIONS_DIR=/opt/airflow/expectations \
    WORKFORCE_DATA_DIR=/opt/airflow/workforce-data \
    WORKFORCE_LANDING_DIR=/opt/airflow/landing
