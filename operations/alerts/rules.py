"""The alert rules file: parsed strictly, every mistake reported with its line.

A rule is a condition over one subject (``response_time > 500ms``), how long or how often it
must hold (``3 consecutive failures``, ``5 minutes``, ``immediate``) and who hears it. The file
is read as text and walked node by node (``yaml.compose``) so that a duplicate rule name, an
unknown key or a condition in the wrong unit is refused with the line it is on, before any of
it replaces the rules in force.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from operations.alerts.sources import SOURCES
from operations.incidents.channels import CHANNEL_KINDS
from operations.incidents.models import Priority

DEFAULT_WINDOW_SECONDS = 120
DEFAULT_RESOLVE_AFTER_SECONDS = 300

_KEYS = {
    "condition",
    "threshold",
    "notification",
    "priority",
    "runbook",
    "window",
    "min_samples",
    "scope",
    "resolve_after",
    "description",
}
_REQUIRED = ("condition", "threshold", "notification")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_CONDITION = re.compile(
    r"^\s*(?P<subject>.+?)\s*(?P<op>>=|<=|>|<|==)\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%)?\s*$"
)
_CONSECUTIVE = re.compile(r"^\s*(\d+)\s+consecutive(?:\s+(?:failures|evaluations|samples))?\s*$")
_DURATION = re.compile(r"^\s*(?:for\s+)?(\d+)\s*(second|sec|s|minute|min|m|hour|h)s?\s*$")
_SECONDS = {
    "second": 1,
    "sec": 1,
    "s": 1,
    "minute": 60,
    "min": 60,
    "m": 60,
    "hour": 3600,
    "h": 3600,
}


class RuleFileError(ValueError):
    """The rule file cannot be used; ``line`` is 1-based (0 when the file itself is missing)."""

    def __init__(self, reason: str, *, line: int = 0, path: str = "") -> None:
        self.reason = reason
        self.line = line
        self.path = path
        where = f"{path}:{line}" if line else path or "rules"
        super().__init__(f"{where}: {reason}")


Fail = Callable[[str, int], RuleFileError]


@dataclass(frozen=True)
class Condition:
    subject: str
    op: str
    threshold: float
    text: str

    def holds(self, value: float) -> bool:
        return {
            ">": value > self.threshold,
            ">=": value >= self.threshold,
            "<": value < self.threshold,
            "<=": value <= self.threshold,
            "==": value == self.threshold,
        }[self.op]


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    threshold_text: str
    for_seconds: int  # how long the condition must hold; 0 = immediate
    consecutive: int  # or how many times in a row (0 = not a count)
    notification: tuple[str, ...]
    priority: str
    runbook: str = ""
    window_seconds: int = DEFAULT_WINDOW_SECONDS
    min_samples: int = 1
    scope: str = "global"
    resolve_after_seconds: int = DEFAULT_RESOLVE_AFTER_SECONDS
    description: str = ""
    line: int = 0

    @property
    def channel_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(entry.split(":", 1)[0] for entry in self.notification))

    @property
    def streak(self) -> bool:
        """Counted request by request (the webhook's consecutive slow answers)."""
        return bool(self.consecutive) and SOURCES[self.condition.subject].streak is not None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    text: str = field(repr=False)

    def get(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.name == name), None)


def rules_parse(text: str, *, path: str = "") -> RuleSet:
    """Parse a whole rule file, or raise RuleFileError naming the first problem's line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RuleFileError(
            f"not valid YAML: {exc.problem or exc.context}",
            line=mark.line + 1 if mark else 0,
            path=path,
        ) from exc
    except yaml.YAMLError as exc:
        raise RuleFileError(f"not valid YAML: {exc}", path=path) from exc
    if root is None:
        raise RuleFileError("the file has no rules", line=1, path=path)
    if not isinstance(root, yaml.MappingNode):
        raise RuleFileError("the file must map rule names to rules", line=_line(root), path=path)
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for key_node, value_node in root.value:
        name = _scalar(key_node, "a rule name", path)
        if not _NAME.match(name):
            raise RuleFileError(
                f"rule name {name!r} must be lower-case letters, digits and _",
                line=_line(key_node),
                path=path,
            )
        if name in seen:
            raise RuleFileError(
                f"rule {name!r} is defined twice (first on line {seen[name]})",
                line=_line(key_node),
                path=path,
            )
        seen[name] = _line(key_node)
        rules.append(_rule(name, key_node, value_node, path))
    return RuleSet(rules=tuple(rules), text=text)


def rules_load(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"cannot read the rule file: {exc.strerror}", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise RuleFileError("the rule file is not UTF-8 text", path=str(path)) from exc
    return rules_parse(text, path=str(path))


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _scalar(node: yaml.Node, what: str, path: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise RuleFileError(f"{what} must be a single value", line=_line(node), path=path)
    return str(node.value).strip()


def _rule(name: str, key_node: yaml.Node, node: yaml.Node, path: str) -> Rule:
    if not isinstance(node, yaml.MappingNode):
        raise RuleFileError(
            f"rule {name!r} must be a mapping of condition, threshold, notification…",
            line=_line(key_node),
            path=path,
        )
    values: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for k, v in node.value:
        key = _scalar(k, "a key", path)
        if key not in _KEYS:
            raise RuleFileError(
                f"rule {name!r}: unknown key {key!r} (known: {', '.join(sorted(_KEYS))})",
                line=_line(k),
                path=path,
            )
        if key in values:
            raise RuleFileError(f"rule {name!r}: {key!r} given twice", line=_line(k), path=path)
        values[key] = (k, v)
    for key in _REQUIRED:
        if key not in values:
            raise RuleFileError(f"rule {name!r} has no {key!r}", line=_line(key_node), path=path)

    def text(key: str) -> tuple[str, int]:
        _, v = values[key]
        return _scalar(v, f"rule {name!r}: {key!r}", path), _line(v)

    def fail(reason: str, line: int) -> RuleFileError:
        return RuleFileError(f"rule {name!r}: {reason}", line=line, path=path)

    condition_text, line = text("condition")
    condition = _condition(condition_text, line, fail)

    threshold_text, line = text("threshold")
    for_seconds, consecutive = _threshold(threshold_text, line, fail)
    source = SOURCES[condition.subject]
    if (
        consecutive
        and source.streak is not None
        and (condition.op not in (">", ">=") or condition.threshold != source.streak_bound)
    ):
        raise fail(
            f"'{consecutive} consecutive' on {condition.subject} counts answers slower than "
            f"{source.streak_bound:g} ms (what the webhook records); write "
            f"'{condition.subject} > {source.streak_bound:g}ms'",
            line,
        )

    _, notify_node = values["notification"]
    notification = _notification(notify_node, fail)

    priority = "P2"
    if "priority" in values:
        priority, line = text("priority")
        priority = priority.upper()
        if priority not in Priority.values:
            raise fail(f"priority must be one of P0, P1, P2, P3, not {priority!r}", line)

    options: dict[str, object] = {}
    if "runbook" in values:
        runbook, line = text("runbook")
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,99}$", runbook):
            raise fail(f"runbook {runbook!r} must be a runbook name like webhook-outage", line)
        options["runbook"] = runbook
    for key, option in (("window", "window_seconds"), ("resolve_after", "resolve_after_seconds")):
        if key in values:
            value, line = text(key)
            match = _DURATION.match(value.lower())
            if not match:
                raise fail(f"{key} must be a duration like '5 minutes', not {value!r}", line)
            seconds = int(match.group(1)) * _SECONDS[match.group(2)]
            if key == "window" and not 60 <= seconds <= 7 * 24 * 3600:
                raise fail("window must be between 1 minute and 7 days", line)
            options[option] = seconds
    if "min_samples" in values:
        value, line = text("min_samples")
        if not value.isdigit() or int(value) < 1:
            raise fail(f"min_samples must be a whole number ≥ 1, not {value!r}", line)
        options["min_samples"] = int(value)
    if "scope" in values:
        scope, line = text("scope")
        if scope not in ("global", *source.scopes):
            allowed = ", ".join(("global", *source.scopes))
            raise fail(f"{condition.subject} can be scoped by: {allowed} (not {scope!r})", line)
        options["scope"] = scope
    if "description" in values:
        options["description"], _ = text("description")
    return Rule(
        name=name,
        condition=condition,
        threshold_text=threshold_text,
        for_seconds=for_seconds,
        consecutive=consecutive,
        notification=notification,
        priority=priority,
        line=_line(key_node),
        **options,  # type: ignore[arg-type]  # validated above, one by one
    )


def _condition(text: str, line: int, fail: Fail) -> Condition:
    match = _CONDITION.match(text)
    if not match:
        raise fail(
            f"condition {text!r} is not '<subject> <op> <number>[ms|s|%]', "
            "e.g. 'response_time > 500ms'",
            line,
        )
    subject = re.sub(r"\s+", "_", match.group("subject").strip().lower())
    source = SOURCES.get(subject)
    if source is None:
        raise fail(
            f"unknown subject {match.group('subject')!r} (known: {', '.join(sorted(SOURCES))})",
            line,
        )
    number = float(match.group("number"))
    unit = match.group("unit") or ""
    if unit == "s":
        number, unit = number * 1000, "ms"
    if unit != source.unit:
        expected = f"in {source.unit}" if source.unit else "a plain count"
        raise fail(f"{subject} is {expected}, not {unit or 'a plain number'!s}", line)
    if unit == "%" and not 0 <= number <= 100:
        raise fail(f"a percentage must be between 0 and 100, not {number:g}", line)
    return Condition(subject=subject, op=match.group("op"), threshold=number, text=text)


def _threshold(text: str, line: int, fail: Fail) -> tuple[int, int]:
    lowered = text.lower()
    if lowered in ("immediate", "immediately"):
        return 0, 0
    match = _CONSECUTIVE.match(lowered)
    if match:
        count = int(match.group(1))
        if count < 1:
            raise fail("a consecutive count must be at least 1", line)
        return 0, count
    match = _DURATION.match(lowered)
    if match:
        return int(match.group(1)) * _SECONDS[match.group(2)], 0
    raise fail(
        f"threshold {text!r} is not 'immediate', '<N> consecutive failures' or '<N> minutes'",
        line,
    )


def _notification(node: yaml.Node, fail: Fail) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        items = [node]
    elif isinstance(node, yaml.SequenceNode):
        items = list(node.value)
    else:
        raise fail('notification must be a list like ["slack:alerts"]', _line(node))
    if not items:
        raise fail("notification names no channel: nobody would hear this alert", _line(node))
    entries = []
    for item in items:
        if not isinstance(item, yaml.ScalarNode):
            raise fail("each notification entry must be 'kind:target'", _line(item))
        entry = str(item.value).strip()
        kind = entry.split(":", 1)[0].lower()
        if kind not in CHANNEL_KINDS:
            raise fail(
                f"notification {entry!r}: unknown channel kind {kind!r} "
                f"(known: {', '.join(sorted(CHANNEL_KINDS))})",
                _line(item),
            )
        entries.append(entry)
    return tuple(entries)
