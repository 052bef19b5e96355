"""Stripe's form-encoded parameters: decoding the nested syntax and typed, named access.

``metadata[tenant_id]=x``, ``line_items[0][price]=p`` and ``expand[]=customer`` decode into a tree
of strings; ``Params`` reads it with the checks Stripe makes, raising 400s that name the
``param`` (``line_items[0][price]``) so a client sees exactly what it got wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Union

from doubles.stripe.errors import (
    InvalidRequest,
    ParameterInvalid,
    ParameterMissing,
    UnknownParameter,
)

Node = Union[str, "dict[str, Node]"]

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

# Parameters any endpoint takes that change nothing here.
ALWAYS_ALLOWED = frozenset({"expand"})


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Node]:
    """Nest ``a[b][0]=v`` pairs; ``[]`` appends (the next free index)."""
    tree: dict[str, Node] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        segments = [head, *_SEGMENT.findall("[" + rest)] if rest else [head]
        node = tree
        for position, segment in enumerate(segments):
            last = position == len(segments) - 1
            key = segment if segment != "" else str(len(node))
            if last:
                node[key] = value
                break
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
    return tree


def fingerprint(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """What idempotency compares: the parameters, whatever order the client sent them in."""
    return tuple(sorted(pairs))


class Params:
    """Typed reads of one (sub)tree of parameters; names in errors carry the full path."""

    def __init__(self, tree: dict[str, Node], prefix: str = "") -> None:
        self._tree = tree
        self._prefix = prefix

    def name(self, key: str) -> str:
        return f"{self._prefix}[{key}]" if self._prefix else key

    def keys(self) -> set[str]:
        return set(self._tree)

    def has(self, key: str) -> bool:
        return key in self._tree

    def expect(self, *allowed: str) -> None:
        """Refuse parameters this endpoint does not know, as Stripe does."""
        for key in sorted(self._tree):
            if key not in allowed and (self._prefix or key not in ALWAYS_ALLOWED):
                raise UnknownParameter(self.name(key))

    def raw(self, key: str) -> Node | None:
        return self._tree.get(key)

    # -- scalars -------------------------------------------------------------------------

    def opt_str(self, key: str) -> str | None:
        value = self._tree.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidRequest(
                f"Invalid string: {self.name(key)} must be a string, not a hash",
                param=self.name(key),
            )
        return value

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str | None:
        value = self.opt_str(key)
        if value is None or value == "":
            return default
        options = tuple(choices)
        if value not in options:
            raise ParameterInvalid(
                self.name(key),
                f"Invalid {self.name(key)}: must be one of {', '.join(options)}",
            )
        return value

    def opt_int(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self.opt_str(key)
        if value is None or value == "":
            return None
        try:
            number = int(value)
        except ValueError:
            raise InvalidRequest(
                f"Invalid integer: {value}", param=self.name(key), code="parameter_invalid_integer"
            ) from None
        if minimum is not None and number < minimum:
            raise InvalidRequest(
                f"This value must be greater than or equal to {minimum}.",
                param=self.name(key),
                code="parameter_invalid_integer",
            )
        return number

    def opt_float(self, key: str) -> float | None:
        value = self.opt_str(key)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except ValueError:
            raise InvalidRequest(f"Invalid decimal: {value}", param=self.name(key)) from None

    def opt_bool(self, key: str) -> bool | None:
        value = self.opt_str(key)
        if value is None or value == "":
            return None
        if value not in ("true", "false"):
            raise InvalidRequest(
                f"Invalid boolean: {value}", param=self.name(key), code="parameter_invalid_boolean"
            )
        return value == "true"

    # -- structures ----------------------------------------------------------------------

    def sub(self, key: str) -> Params | None:
        """A nested hash (``recurring[interval]``); ``None`` when absent."""
        value = self._tree.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            if value == "":
                return Params({}, self.name(key))
            raise InvalidRequest(
                f"Invalid object: {self.name(key)} must be a hash", param=self.name(key)
            )
        return Params(value, self.name(key))

    def items(self, key: str) -> list[Params]:
        """An array of hashes (``line_items[0][price]``), in index order."""
        return [
            Params(v, f"{self.name(key)}[{i}]") if isinstance(v, dict) else self._not_hash(key, i)
            for i, v in self._indexed(key)
        ]

    def str_list(self, key: str) -> list[str] | None:
        """An array of strings (``expand[]=a`` or ``expand[0]=a``); ``""`` means empty."""
        value = self._tree.get(key)
        if value is None:
            return None
        if value == "":
            return []
        result: list[str] = []
        for i, item in self._indexed(key):
            if not isinstance(item, str):
                raise InvalidRequest(
                    f"Invalid array: {self.name(key)}[{i}] must be a string", param=self.name(key)
                )
            result.append(item)
        return result

    def metadata(self, key: str = "metadata") -> dict[str, str] | None:
        """Metadata changes: a value of ``""`` removes the key; ``metadata=""`` clears all."""
        value = self._tree.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            if value == "":
                return {}
            raise InvalidRequest("Invalid metadata: must be a hash", param=self.name(key))
        changes: dict[str, str] = {}
        for name, item in value.items():
            if not isinstance(item, str):
                raise InvalidRequest(
                    "Metadata values must be strings", param=f"{self.name(key)}[{name}]"
                )
            if len(name) > 40 or len(item) > 500:
                raise InvalidRequest(
                    "Metadata keys are at most 40 characters and values at most 500",
                    param=f"{self.name(key)}[{name}]",
                )
            changes[name] = item
        return changes

    def _indexed(self, key: str) -> list[tuple[int, Node]]:
        value = self._tree.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            raise InvalidRequest(f"Invalid array: {self.name(key)}", param=self.name(key))
        try:
            indexed = sorted((int(k), v) for k, v in value.items())
        except ValueError:
            raise InvalidRequest(
                f"Invalid array: {self.name(key)} must be indexed by integers",
                param=self.name(key),
            ) from None
        return indexed

    def _not_hash(self, key: str, index: int) -> Params:
        raise InvalidRequest(
            f"Invalid object: {self.name(key)}[{index}] must be a hash",
            param=f"{self.name(key)}[{index}]",
        )

    # -- required values: kept last, since in annotations below them (for mypy) ``str``,
    # ``int`` and ``bool`` would name these methods, not the builtins.

    def int(self, key: str, *, minimum: int | None = None) -> int:
        number = self.opt_int(key, minimum=minimum)
        if number is None:
            raise ParameterMissing(self.name(key))
        return number

    def bool(self, key: str, default: bool) -> bool:
        value = self.opt_bool(key)
        return default if value is None else value

    def str(self, key: str) -> str:
        value = self.opt_str(key)
        if value is None or value == "":
            raise ParameterMissing(self.name(key))
        return value


def metadata_merged(current: dict[str, str], changes: dict[str, str] | None) -> dict[str, str]:
    """Stripe's metadata update: keys merge, ``""`` deletes one, an empty hash clears all."""
    if changes is None:
        return current
    if not changes:
        return {}
    merged = dict(current)
    for name, value in changes.items():
        if value == "":
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged
