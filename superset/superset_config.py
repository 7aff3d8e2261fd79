"""Superset configuration of the eurasia service (docker-compose) and of its test.

Everything that differs between deployments comes from the environment; secrets only from there.
"""

import os

SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY", "")
if len(SECRET_KEY) < 32:
    raise RuntimeError(
        "SUPERSET_SECRET_KEY must be set to a random string of at least 32 characters, "
        "e.g. export SUPERSET_SECRET_KEY=$(openssl rand -base64 42)"
    )

# Superset's own metadata (users, charts, dashboards): SQLite in SUPERSET_HOME unless
# SUPERSET_METADATA_URI names another database (e.g. postgresql://user@host:5432/superset).
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URI") or (
    "sqlite:///"
    + os.path.join(os.environ.get("SUPERSET_HOME", "/app/superset_home"), "superset.db")
)

# The marts are read through one read-only DuckDB connection per query (duckdb-engine opens and
# closes it), so Superset never holds the published file between queries, and a publication
# (an atomic rename) is visible to the next query.
ROW_LIMIT = 50000
