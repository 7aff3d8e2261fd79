"""Provision Superset for the eurasia marts: metadata, admin, read-only connection, dashboard.

Run with Superset's own Python, at every start of the service (docker-compose) and by
tests/test_superset.py, so both get exactly the same setup:

    SUPERSET_CONFIG_PATH=superset/superset_config.py SUPERSET_SECRET_KEY=... \\
    SUPERSET_ADMIN_PASSWORD=... EURASIA_PUBLISHED_DUCKDB=/path/to/published/eurasia.duckdb \\
        python superset/provision.py

1. `superset db upgrade` and `superset init` (idempotent);
2. the admin user SUPERSET_ADMIN_USERNAME (default admin) with SUPERSET_ADMIN_PASSWORD, if new;
3. imports the dashboard bundle in superset/dashboard/ (database connection, datasets, charts,
   dashboard), its connection pointed at EURASIA_PUBLISHED_DUCKDB and opened read-only
   (`duckdb:///<path>?access_mode=read_only`): Superset reads the published copy, never the
   warehouse the pipeline writes, so neither can block the other.

Importing again keeps what exists (Superset's importer does not overwrite a connection,
dataset or chart with the same uuid) and adds what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "dashboard"
DEFAULT_PUBLISHED = "/data/published/eurasia.duckdb"


def duckdb_uri(published: str) -> str:
    path = Path(published)
    if not path.is_absolute():
        raise SystemExit(f"EURASIA_PUBLISHED_DUCKDB={published!r} must be an absolute path")
    # Four slashes for an absolute path: duckdb:/// plus /data/...
    return f"duckdb:///{path}?access_mode=read_only"


def superset_cli() -> str:
    beside = Path(sys.executable).with_name("superset")
    found = str(beside) if beside.exists() else shutil.which("superset")
    if not found:
        raise SystemExit("the superset command is not installed beside this Python")
    return found


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    # The command as run, but never a password: whatever follows --password is left out.
    shown = [a for i, a in enumerate(args) if a != "--password" and args[i - 1] != "--password"]
    print("provision: superset", " ".join(shown), flush=True)
    done = subprocess.run([superset_cli(), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"superset {args[0]} failed (exit {done.returncode})")
    return done


def bundle_zip(target: Path, uri: str) -> Path:
    """The dashboard bundle as Superset's importer wants it, with the connection's URI set."""
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(BUNDLE.rglob("*.yaml")):
            text = path.read_text()
            if path.parent.name == "databases":
                config = yaml.safe_load(text)
                config["sqlalchemy_uri"] = uri
                text = yaml.safe_dump(config, sort_keys=False)
            archive.writestr(f"eurasia_dashboard/{path.relative_to(BUNDLE)}", text)
    return target


def main() -> int:
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD", "")
    if not password:
        raise SystemExit("SUPERSET_ADMIN_PASSWORD must be set (the admin's password)")
    username = os.environ.get("SUPERSET_ADMIN_USERNAME") or "admin"
    published = os.environ.get("EURASIA_PUBLISHED_DUCKDB") or DEFAULT_PUBLISHED
    uri = duckdb_uri(published)
    if not Path(published).exists():
        print(
            f"provision: {published} does not exist yet; charts answer once `make run` has "
            "published it",
            flush=True,
        )
    run("db", "upgrade")
    created = run(
        "fab", "create-admin", "--username", username, "--firstname", "Superset",
        "--lastname", "Admin", "--email", f"{username}@localhost", "--password", password,
    )  # fmt: skip
    print("provision:", created.stdout.strip().splitlines()[-1:] or ["admin ready"], flush=True)
    run("init")
    with tempfile.TemporaryDirectory() as work:
        bundle = bundle_zip(Path(work) / "eurasia_dashboard.zip", uri)
        run("import-dashboards", "--path", str(bundle), "--username", username)
    print(f"provision: dashboard 'eurasia' imported; connection {uri}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
