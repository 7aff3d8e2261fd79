"""The DAG's full_refresh Param: off by default, a boolean, and handed to every step that fetches
or loads (what it does there is tested against the stand-in in test_release_aware_runs.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAG_FILE = Path(__file__).resolve().parent.parent / "dags" / "eurasia_pipeline.py"


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAG_FILE.parent)).get_dag("eurasia_pipeline")


def test_full_refresh_param_is_an_opt_in_boolean(dag):
    from airflow.sdk.definitions.param import ParamValidationError

    param = dag.params.get_param("full_refresh")
    assert param.resolve() is False
    assert param.resolve(True) is True
    with pytest.raises(ParamValidationError):
        param.resolve("yes")


def test_every_fetching_and_loading_step_gets_the_param():
    """Each call into eurasia.pipeline that fetches or loads passes params["full_refresh"]."""
    passed = set()
    for node in ast.walk(ast.parse(DAG_FILE.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            arguments = [ast.unparse(a) for a in node.args]
            if "params['full_refresh']" in arguments:
                passed.add(node.func.id)
    assert passed == {
        "extract_comtrade_availability",
        "extract_comtrade",
        "extract_fdi",
        "extract_imf_goods_trade",
        "load_runs",
    }
