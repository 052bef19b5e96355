"""Holding a Stripe JSON object to the SDK's typed resource for the pinned API version.

stripe-python's resource classes are generated from Stripe's OpenAPI spec for the version the
SDK pins (``stripe._api_version``): their annotations name every field an object of that version
has, which are nullable (``Optional``), and the values of each enum (``Literal``). ``violations``
walks a JSON object against one class, recursively through nested objects, lists, expandable
fields and, for events, the object the event carries, and names every departure:

- a field the SDK class does not declare (removed in this version, or never Stripe's);
- a declared, non-``Optional`` field that is missing, or ``null``;
- a value of the wrong JSON type, or a string outside a field's ``Literal`` values;
- an ``object`` that is not the class's own.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import sys
import types
import typing
from decimal import Decimal
from typing import Any, Literal, Union

import stripe
from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject, UntypedStripeObject

NONE_TYPE = type(None)


@functools.cache
def _checking_namespace(module_name: str) -> dict[str, Any]:
    """The module's globals plus its ``if TYPE_CHECKING:`` imports, which annotations name."""
    module = sys.modules[module_name]
    namespace = dict(vars(module))
    for node in ast.parse(inspect.getsource(module)).body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            code = compile(ast.Module(body=node.body, type_ignores=[]), module_name, "exec")
            exec(code, namespace)  # noqa: S102 - the SDK's own import lines
    return namespace


@functools.cache
def fields_of(cls: type) -> dict[str, Any]:
    """The JSON fields the SDK declares on ``cls``, with their types."""
    hints = typing.get_type_hints(cls, localns=_checking_namespace(cls.__module__))
    remapped: dict[str, str] = dict(getattr(cls, "_field_remappings", {}) or {})
    return {
        remapped.get(name, name): hint
        for name, hint in hints.items()
        if not name.startswith("_") and typing.get_origin(hint) is not typing.ClassVar
    }


def class_for(object_name: str) -> type | None:
    """The SDK resource class whose ``object`` is ``object_name`` (``invoice``, …)."""
    found = OBJECT_CLASSES.get(object_name)
    if found is None:
        return None
    module_name, class_name = found
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]


def _optional(hint: Any) -> bool:
    return _is_union(hint) and NONE_TYPE in typing.get_args(hint)


def _is_union(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin is Union or origin is types.UnionType


def violations(value: object, cls: type, path: str = "") -> list[str]:
    """Every way ``value`` (parsed JSON) departs from the SDK class ``cls``; empty if none."""
    path = path or (getattr(cls, "OBJECT_NAME", "") or cls.__name__)
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {type(value).__name__}"]
    fields = fields_of(cls)
    found: list[str] = []
    for key in value:
        if key not in fields:
            found.append(f"{path}.{key}: not a field of {cls.__qualname__} in this API version")
    for name, hint in fields.items():
        if name not in value:
            if not _optional(hint):
                found.append(f"{path}.{name}: required by {cls.__qualname__}, missing")
            continue
        found.extend(_check(value[name], hint, f"{path}.{name}"))
    if issubclass(cls, stripe.Event) and not found:
        found.extend(_event_object(value, path))
    return found


def _event_object(event: dict[str, Any], path: str) -> list[str]:
    """An event's ``data.object`` against the class its ``object`` names; previous
    attributes may only name that class's fields."""
    data = event["data"]
    obj = data["object"]
    cls = class_for(str(obj.get("object", "")))
    if cls is None:
        return [f"{path}.data.object: no SDK class for object {obj.get('object')!r}"]
    found = violations(obj, cls, f"{path}.data.object")
    fields = fields_of(cls)
    for key in data.get("previous_attributes") or {}:
        if key not in fields:
            found.append(f"{path}.data.previous_attributes.{key}: not a field of {cls.__name__}")
    return found


def _check(value: object, hint: Any, path: str) -> list[str]:
    if hint is Any:
        return []
    if _is_union(hint):
        return _check_union(value, typing.get_args(hint), path)
    if value is None:
        return [f"{path}: null, but the field is not nullable"]
    origin = typing.get_origin(hint)
    if origin is Literal:
        allowed = typing.get_args(hint)
        return [] if value in allowed else [f"{path}: {value!r} not one of {list(allowed)}"]
    if origin in (list, typing.List):  # noqa: UP006 - the SDK annotates with typing.List
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        (item,) = typing.get_args(hint)
        return [v for i, x in enumerate(value) for v in _check(x, item, f"{path}[{i}]")]
    if origin in (dict, typing.Dict) or origin is UntypedStripeObject:  # noqa: UP006
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        item = typing.get_args(hint)[-1] if typing.get_args(hint) else Any
        return [v for k, x in value.items() for v in _check(x, item, f"{path}.{k}")]
    if origin is ListObject or hint is ListObject:
        return _check_list_object(value, hint, path)
    if isinstance(hint, type):
        return _check_class(value, hint, path)
    return [f"{path}: the checker does not know the annotation {hint!r}"]


def _check_union(value: object, options: tuple[Any, ...], path: str) -> list[str]:
    if value is None:
        return [] if NONE_TYPE in options else [f"{path}: null, but the field is not nullable"]
    options = tuple(o for o in options if o is not NONE_TYPE)
    literals = [a for o in options if typing.get_origin(o) is Literal for a in typing.get_args(o)]
    if literals and isinstance(value, str):
        # ``Union[Literal[...], str]``: the SDK stays open to future values, but an object of
        # this version carries one of the documented ones.
        return [] if value in literals else [f"{path}: {value!r} not one of {literals}"]
    best: list[str] | None = None
    for option in options:
        if typing.get_origin(option) is Literal:
            continue
        found = _check(value, option, path)
        if not found:
            return []
        if best is None or len(found) < len(best):
            best = found
    return best or [f"{path}: {value!r} matches no type of the field"]


def _check_list_object(value: object, hint: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected a list object, got {type(value).__name__}"]
    found = [
        f"{path}.{key}: not a field of a list object"
        for key in value
        if key not in ("object", "data", "has_more", "url")
    ]
    if value.get("object") != "list":
        found.append(f"{path}.object: {value.get('object')!r} is not 'list'")
    if not isinstance(value.get("has_more"), bool) or not isinstance(value.get("url"), str):
        found.append(f"{path}: has_more and url are required on a list object")
    data = value.get("data")
    if not isinstance(data, list):
        return [*found, f"{path}.data: expected a list"]
    args = typing.get_args(hint)
    item = args[0] if args else Any
    return found + [v for i, x in enumerate(data) for v in _check(x, item, f"{path}.data[{i}]")]


def _check_class(value: object, hint: type, path: str) -> list[str]:
    if issubclass(hint, StripeObject):
        return violations(value, hint, path)
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is Decimal:
        ok = isinstance(value, str)  # decimal strings travel as JSON strings
    elif hint is str:
        ok = isinstance(value, str)
    else:
        return [f"{path}: the checker does not know the type {hint.__name__}"]
    return [] if ok else [f"{path}: expected {hint.__name__}, got {type(value).__name__}"]
