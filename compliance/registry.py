"""The personal-data registry: every model field that holds personal data, and what to do with it.

Each app declares its models in a ``personal_data`` module (``billing/personal_data.py``…),
loaded at start-up: which fields are personal, how to find the rows about a data subject, and
whether erasure deletes them or anonymizes them in place (rows that must stay, such as orders
under fiscal retention, LGPD Art. 16 I). Fields that look personal but are not say so with
``not_personal`` and a reason. ``registry_gaps`` lists what is neither, and a test fails on it,
so a new model is covered by adding one declaration (Zulip's ``ALL_ZERVER_TABLES`` idea).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models


class SubjectKind(enum.StrEnum):
    SELLER_USER = "seller_user"  # a person using Peepers (Peepers is the controller)
    BUYER = "buyer"  # a Mercado Livre buyer inside a store (the seller is the controller)


class Erasure(enum.StrEnum):
    DELETE = "delete"
    ANONYMIZE = "anonymize"
    KEEP = "keep"  # exported on access, kept on erasure because a law requires it (why_kept)


@dataclass(frozen=True)
class Subject:
    """Whom a request is about, within one store. ``ml_user_id`` for buyers, e-mail for users."""

    kind: SubjectKind
    email: str = ""
    ml_user_id: int | None = None

    def label(self) -> str:
        return self.email if self.kind == SubjectKind.SELLER_USER else f"ML {self.ml_user_id}"

    def owns(self, tenant: Any) -> bool:
        """Whether this person is the store's owner (their data then includes the store's)."""
        return (
            self.kind == SubjectKind.SELLER_USER
            and self.email.strip().lower() == str(tenant.owner_email).strip().lower()
        )


Locate = Callable[[Any, Subject], "models.QuerySet[Any]"]  # (tenant, subject)
Anonymize = Callable[[Any], dict[str, Any]]
# For a model that holds more than one kind of subject: what erasing ``subject`` changes in a row.
AnonymizeFor = Callable[[Any, Subject], dict[str, Any]]


@dataclass(frozen=True)
class PersonalData:
    """One model's personal fields and how requests about a subject treat its rows."""

    model: type[models.Model]
    fields: tuple[str, ...]
    subjects: tuple[SubjectKind, ...]
    locate: Locate
    erasure: Erasure
    anonymize: Anonymize | None = None
    why_kept: str = ""  # the legal reason rows are anonymized instead of deleted
    schema: str = "tenant"  # "tenant": rows live in the store's schema; "public" otherwise
    anonymize_for: AnonymizeFor | None = None
    # Columns an export adds beside the personal fields to say where a row came from (the
    # column's name -> a lookup such as ``account__ml_user_id``); read, never erased.
    provenance: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label

    def erased_values(self, row: Any, subject: Subject) -> dict[str, Any]:
        """The new values of ``row``'s fields once ``subject``'s data is erased from it."""
        if self.anonymize_for is not None:
            return self.anonymize_for(row, subject)
        assert self.anonymize is not None  # checked at declaration
        return self.anonymize(row)


@dataclass
class _Registry:
    declared: dict[str, PersonalData] = field(default_factory=dict)
    exempt: dict[tuple[str, str], str] = field(default_factory=dict)
    external: list[Callable[[Any, Subject], dict[str, Any]]] = field(default_factory=list)


_REGISTRY = _Registry()


def personal_data(
    model: type[models.Model],
    *,
    fields: Iterable[str],
    subjects: Iterable[SubjectKind],
    locate: Locate,
    erasure: Erasure,
    anonymize: Anonymize | None = None,
    why_kept: str = "",
    schema: str = "tenant",
    anonymize_for: AnonymizeFor | None = None,
    provenance: Mapping[str, str] | None = None,
) -> None:
    """Declare ``model``'s personal fields (call from an app's ``personal_data`` module).

    ``anonymize`` changes a row found for any subject; a model holding several kinds of
    subject in one row (an order names its buyer and its seller) gives ``anonymize_for``, which
    is told whose data goes (``anonymize`` then serves retention, which has no subject).
    ``provenance`` names columns an export adds to each row to say where it came from.
    """
    names = tuple(fields)
    known = {f.name for f in model._meta.get_fields()}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"{model._meta.label} has no field(s) {unknown}")
    sources = tuple((provenance or {}).items())
    clashes = [name for name, _ in sources if name in known or name == "pk"]
    if clashes:
        raise ValueError(f"{model._meta.label}: provenance column(s) {clashes} name a field")
    unknown = [lookup for _, lookup in sources if lookup.split("__")[0] not in known]
    if unknown:
        raise ValueError(f"{model._meta.label}: provenance from no field: {unknown}")
    if erasure == Erasure.ANONYMIZE and (
        (anonymize is None and anonymize_for is None) or not why_kept
    ):
        raise ValueError(f"{model._meta.label}: anonymizing needs anonymize= and why_kept=")
    if erasure == Erasure.KEEP and not why_kept:
        raise ValueError(f"{model._meta.label}: keeping personal data needs why_kept=")
    _REGISTRY.declared[model._meta.label] = PersonalData(
        model=model,
        fields=names,
        subjects=tuple(subjects),
        locate=locate,
        erasure=erasure,
        anonymize=anonymize,
        why_kept=why_kept,
        schema=schema,
        anonymize_for=anonymize_for,
        provenance=sources,
    )


def not_personal(model: type[models.Model], *, fields: Iterable[str], reason: str) -> None:
    """Fields that look personal but are not (or are a staff member's, not a subject's)."""
    for name in fields:
        _REGISTRY.exempt[(model._meta.label, name)] = reason


def external_source(export: Callable[[Any, Subject], dict[str, Any]]) -> None:
    """Data about a subject held outside our database (e.g. the Stripe customer)."""
    _REGISTRY.external.append(export)


def declarations() -> list[PersonalData]:
    return list(_REGISTRY.declared.values())


def external_sources() -> list[Callable[[Any, Subject], dict[str, Any]]]:
    return list(_REGISTRY.external)


# What makes a field look personal: its type, or its name.
_PERSONAL_NAME = re.compile(
    r"(^|_)(email|e_mail|phone|mobile|cpf|cnpj|rg|address|street|zip|cep|nickname|"
    r"first_name|last_name|full_name|user_agent|ip|ip_address|buyer|recipient|receiver|"
    r"contact|birth|document|from_id|text|payload|raw)(_|$)|_by$"
)


def looks_personal(model_field: models.Field[Any, Any]) -> bool:
    if isinstance(model_field, models.EmailField | models.GenericIPAddressField):
        return True
    return bool(_PERSONAL_NAME.search(model_field.name))


def registry_gaps(candidates: Iterable[type[models.Model]] | None = None) -> list[str]:
    """``app.Model.field`` for every field that looks personal and is neither declared nor
    exempt, over ``candidates`` (default: every installed model)."""
    gaps: list[str] = []
    for model in candidates if candidates is not None else apps.get_models():
        label = model._meta.label
        declared = _REGISTRY.declared.get(label)
        for model_field in model._meta.concrete_fields:
            if not looks_personal(model_field):
                continue
            if declared is not None and model_field.name in declared.fields:
                continue
            if (label, model_field.name) in _REGISTRY.exempt:
                continue
            gaps.append(f"{label}.{model_field.name}")
    return gaps
