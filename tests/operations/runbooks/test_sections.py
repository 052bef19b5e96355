"""A diagnosis declared as sections prints their lines in order and judges by their problems."""

from __future__ import annotations

from operations.runbooks.registry import Outcome
from operations.runbooks.sections import Finding, Section, Verdict, diagnosis

QUIET = Section[int]("quiet", lambda seen: Finding(("quiet",), {"quiet": seen}))
LOUD = Section[int]("loud", lambda seen: Finding(("loud",), {"loud": True}, ("too loud",)))


def _verdict(seen: int) -> Verdict:
    return Verdict(ok=f"{seen} seen", unknown="nothing seen" if seen == 0 else "")


def test_a_problem_fails_the_diagnosis_after_every_section_has_run() -> None:
    result = diagnosis(3, (LOUD, QUIET, LOUD), data={"minutes": 5}, verdict=_verdict)

    assert result.outcome == Outcome.FAILED
    assert result.lines == ("loud", "quiet", "loud", "Verdict: FAILED: too loud; too loud")
    assert result.data == {"minutes": 5, "loud": True, "quiet": 3}


def test_no_problem_and_nothing_to_judge_by_is_unknown() -> None:
    result = diagnosis(0, (QUIET,), data={}, verdict=_verdict, record_problems=True)

    assert result.outcome == Outcome.UNKNOWN
    assert result.lines == ("quiet", "Verdict: UNKNOWN: nothing seen")
    assert result.data == {"quiet": 0, "problems": []}


def test_no_problem_with_data_is_ok() -> None:
    result = diagnosis(2, (QUIET,), data={}, verdict=_verdict)

    assert result.outcome == Outcome.OK
    assert result.lines == ("quiet", "Verdict: OK: 2 seen")
