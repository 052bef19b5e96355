"""A diagnosis declared as sections: each probes one thing and reports a ``Finding``; one runner
prints the findings' lines in order, gathers their data and problems, and gives the verdict."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from operations.runbooks.registry import Outcome, Result

C = TypeVar("C")  # what a diagnosis' sections read: its options, or measurements taken once


@dataclass(frozen=True)
class Finding:
    """What one section saw: lines to print, data to record, problems that fail the diagnosis."""

    lines: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section(Generic[C]):
    """One part of a diagnosis: ``probe`` measures it from the diagnosis' context ``C``."""

    title: str
    probe: Callable[[C], Finding]


@dataclass(frozen=True)
class Verdict:
    """How a diagnosis without problems ends: unknown (why) when there was nothing to judge
    by, else ok (what held)."""

    ok: str
    unknown: str = ""


def diagnosis(
    context: C,
    sections: Sequence[Section[C]],
    *,
    data: dict[str, Any],
    verdict: Callable[[C], Verdict],
    record_problems: bool = False,
) -> Result:
    """Run the sections in order; any problem fails the diagnosis, listed in the verdict line."""
    lines: list[str] = []
    problems: list[str] = []
    for section in sections:
        finding = section.probe(context)
        lines += finding.lines
        data.update(finding.data)
        problems += finding.problems
    if record_problems:
        data["problems"] = problems
    if problems:
        lines.append("Verdict: FAILED: " + "; ".join(problems))
        return Result(Outcome.FAILED, tuple(lines), data)
    judged = verdict(context)
    if judged.unknown:
        lines.append(f"Verdict: UNKNOWN: {judged.unknown}")
        return Result(Outcome.UNKNOWN, tuple(lines), data)
    lines.append(f"Verdict: OK: {judged.ok}")
    return Result(Outcome.OK, tuple(lines), data)
