"""`make chaos` on a small year range, as part of `make test`: every landed fault class is
handled - recovered from or stopped cleanly - with nothing lost, duplicated or wrong in the
published marts, and a message naming the cause. Classes whose fix is pending are run by
`make chaos` only.
"""

from __future__ import annotations

import pytest

from eurasia.chaos.faults import FAULT_CLASSES
from eurasia.chaos.harness import Lab, try_all
from eurasia.chaos.table import render

pytestmark = pytest.mark.slow

LANDED = [fault for fault in FAULT_CLASSES if not fault.pending]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("chaos"), "2018-2019")
    lab.prepare()
    results = try_all(lab, LANDED, jobs=3)
    print(render(results, lab.years, sum(o.seconds for o in results)))
    return {o.fault.name: o for o in results}


@pytest.mark.parametrize("fault", LANDED, ids=[f.name for f in LANDED])
def test_fault_class_is_handled(outcomes, fault):
    outcome = outcomes[fault.name]
    assert outcome.problems == [], "\n".join(outcome.runs[-1].text.splitlines()[-15:])
    assert outcome.difference.wrong == 0
    assert outcome.difference.lost == 0
    assert outcome.difference.duplicated == 0
    assert outcome.message  # a line naming the cause was shown
    if fault.expect == "recover":
        assert outcome.recovered
    elif fault.expect == "stop":
        assert outcome.stopped_cleanly
