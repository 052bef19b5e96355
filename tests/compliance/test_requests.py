"""Taking data-subject requests: identifiers, one open request per subject, the legal clock."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance.dsr.requests import dsr_alerts_due, dsr_clock, dsr_open, due_date
from compliance.errors import RequestInvalid
from compliance.models import RequestKind, RequestScope, RequestStatus

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 12, 20, 14, 0, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=SAO_PAULO)


@pytest.mark.parametrize(
    ("received", "small", "due"),
    [
        (RECEIVED, False, end_of(date(2027, 1, 4))),  # across the new year
        (RECEIVED, True, end_of(date(2027, 1, 19))),  # doubled: 30 days
        # Calendar days: weekends and holidays count (Art. 19 II says "15 days").
        (datetime(2026, 4, 10, 12, tzinfo=UTC), False, end_of(date(2026, 4, 25))),
    ],
)
def test_the_complete_answer_is_due_15_days_after_receipt(received, small, due):
    assert due_date(received_at=received, small_agent=small, time_zone=SAO_PAULO) == due


def test_a_request_is_acknowledged_at_once_with_its_deadline(tenant_a):
    opened = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=987654321,
        received_at=RECEIVED,
    )

    request = opened.request
    assert opened.created
    assert request.simplified_answer_at == RECEIVED
    assert request.due_at == end_of(date(2027, 1, 4))
    assert dsr_clock(request=request, now=RECEIVED).days_left == 15
    assert dsr_clock(request=request, now=RECEIVED + timedelta(days=16)).days_left == -1


def test_a_small_agent_store_gets_the_doubled_term(tenant_a):
    tenant_a.is_small_agent = True

    opened = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ERASURE,
        channel="privacy page",
        subject_email="Owner@A.example.com",
        received_at=RECEIVED,
    )

    assert opened.request.due_at == end_of(date(2027, 1, 19))
    assert opened.request.subject_email == "owner@a.example.com"


def test_a_duplicate_while_one_is_open_joins_it(tenant_a):
    first = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ERASURE,
        channel="e-mail",
        subject_ml_user_id=42,
    )
    again = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ERASURE,
        channel="ML message",
        subject_ml_user_id=42,
    )

    assert (again.created, again.request.pk) == (False, first.request.pk)
    first.request.status = RequestStatus.COMPLETED
    first.request.save()
    later = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ERASURE,
        channel="e-mail",
        subject_ml_user_id=42,
    )
    assert later.created


def test_the_same_subject_in_another_store_is_another_request(tenant_a, tenant_b):
    a = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=42,
    )
    b = dsr_open(
        tenant=tenant_b,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=42,
    )

    assert a.created
    assert b.created
    assert a.request.pk != b.request.pk


@pytest.mark.parametrize(
    ("scope", "fields", "message"),
    [
        (RequestScope.BUYER, {"subject_email": "x@y.z"}, "Mercado Livre user id"),
        (RequestScope.SELLER_USER, {"subject_ml_user_id": 1}, "e-mail address"),
        (RequestScope.SELLER_USER, {"subject_email": "   "}, "e-mail address"),
    ],
)
def test_a_request_without_its_subject_is_refused(tenant_a, scope, fields, message):
    with pytest.raises(RequestInvalid, match=message):
        dsr_open(tenant=tenant_a, scope=scope, kind=RequestKind.ACCESS, channel="e-mail", **fields)


def test_staff_are_alerted_at_5_days_1_day_and_past_due(tenant_a):
    request = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=7,
        received_at=RECEIVED,
    ).request

    def alert_at(day: int) -> list[str]:
        now = RECEIVED + timedelta(days=day)
        return [label for found, label in dsr_alerts_due(now=now) if found.pk == request.pk]

    assert alert_at(5) == []
    assert alert_at(10) == ["5_days_left"]
    assert alert_at(14) == ["1_day_left"]
    assert alert_at(16) == ["overdue"]


def test_each_alert_goes_to_staff_once(tenant_a, settings):
    from django.core import mail

    from compliance.dsr.requests import dsr_alerts_send
    from core.redis import redis_client

    settings.ADMINS = [("Staff", "staff@peepers.test")]
    request = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=8,
        received_at=RECEIVED,
    ).request
    for key in redis_client().scan_iter(f"*:dsr-alert:{request.pk}:*"):
        redis_client().delete(key)

    first = dsr_alerts_send(now=RECEIVED + timedelta(days=14))
    again = dsr_alerts_send(now=RECEIVED + timedelta(days=14, hours=1))
    late = dsr_alerts_send(now=RECEIVED + timedelta(days=16))

    assert (first, again, late) == (1, 0, 1)
    assert [m.subject.split(":")[0] for m in mail.outbox] == [
        "[Django] Data-subject request 1 day left",
        "[Django] Data-subject request OVERDUE",
    ]
