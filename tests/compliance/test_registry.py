"""Every field that looks personal is declared (with its erasure) or exempted with a reason."""

import pytest
from django.db import models
from django.test.utils import isolate_apps

from compliance.registry import (
    Erasure,
    SubjectKind,
    declarations,
    looks_personal,
    personal_data,
    registry_gaps,
)


def test_every_personal_field_of_every_model_is_covered():
    assert registry_gaps() == []


@isolate_apps("compliance")
def test_the_check_fails_on_a_model_with_an_undeclared_personal_field():
    class Shipment(models.Model):
        receiver_name = models.CharField(max_length=100)
        customer_email = models.EmailField()
        tracking_code = models.CharField(max_length=40)

        class Meta:
            app_label = "compliance"
            managed = False

        def __str__(self) -> str:
            return str(self.pk)

    assert registry_gaps([Shipment]) == [
        "compliance.Shipment.receiver_name",
        "compliance.Shipment.customer_email",
    ]


@isolate_apps("compliance")
def test_a_declaration_names_real_fields_and_says_why_anonymized_rows_stay():
    class Ledger(models.Model):
        buyer_nickname = models.CharField(max_length=100)

        class Meta:
            app_label = "compliance"
            managed = False

        def __str__(self) -> str:
            return str(self.pk)

    with pytest.raises(ValueError, match="no field"):
        personal_data(
            Ledger,
            fields=["nickname"],
            subjects=[SubjectKind.BUYER],
            locate=lambda tenant, subject: Ledger.objects.none(),
            erasure=Erasure.DELETE,
        )
    with pytest.raises(ValueError, match="why_kept"):
        personal_data(
            Ledger,
            fields=["buyer_nickname"],
            subjects=[SubjectKind.BUYER],
            locate=lambda tenant, subject: Ledger.objects.none(),
            erasure=Erasure.ANONYMIZE,
            anonymize=lambda row: {},
        )


@isolate_apps("compliance")
@pytest.mark.parametrize(
    ("provenance", "error"),
    [
        ({"buyer_nickname": "account__nickname"}, "name a field"),
        ({"account_nickname": "account__nickname"}, "provenance from no field"),
    ],
)
def test_provenance_columns_are_new_names_read_from_real_fields(provenance, error):
    class Ledger(models.Model):
        buyer_nickname = models.CharField(max_length=100)

        class Meta:
            app_label = "compliance"
            managed = False

        def __str__(self) -> str:
            return str(self.pk)

    with pytest.raises(ValueError, match=error):
        personal_data(
            Ledger,
            fields=["buyer_nickname"],
            subjects=[SubjectKind.BUYER],
            locate=lambda tenant, subject: Ledger.objects.none(),
            erasure=Erasure.DELETE,
            provenance=provenance,
        )


@pytest.mark.parametrize(
    ("name", "field", "personal"),
    [
        ("email", models.EmailField(), True),
        ("ip_address", models.GenericIPAddressField(), True),
        ("buyer_nickname", models.CharField(), True),
        ("started_by", models.CharField(), True),
        ("raw", models.JSONField(), True),
        ("status", models.CharField(), False),
        ("tracking_code", models.CharField(), False),
        ("description", models.CharField(), False),
    ],
)
def test_what_looks_personal(name, field, personal):
    field.name = name
    assert looks_personal(field) is personal


def test_buyers_and_sellers_are_both_covered():
    kinds = {kind for declared in declarations() for kind in declared.subjects}
    assert kinds == {SubjectKind.BUYER, SubjectKind.SELLER_USER}
