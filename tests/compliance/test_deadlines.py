"""The legal clock of a data-subject request, read one way everywhere: 15 days left on the day of
receipt, "due today" on the 15th day, overdue from the 16th, in the store's calendar
(America/Sao_Paulo), and alerts that count as told only once they were mailed."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.translation import override

from compliance.checklists import Outcome, checklist_run
from compliance.dsr.requests import dsr_alerts_due, dsr_alerts_send, dsr_clock, dsr_open
from compliance.models import DataSubjectRequest, RequestKind, RequestScope, RequestStatus
from core.redis import redis_client, redis_key
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# 10:00 in São Paulo on 20/12: the legal term runs to the end of 04/01.
RECEIVED = datetime(2026, 12, 20, 10, 0, tzinfo=SAO_PAULO)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SAO_PAULO)


def opened(tenant: Tenant, received_at: datetime, ml_user_id: int = 77) -> DataSubjectRequest:
    return dsr_open(
        tenant=tenant,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=ml_user_id,
        received_at=received_at,
    ).request


def clock_text(request: DataSubjectRequest, now: datetime) -> str:
    with override("en"):
        return str(dsr_clock(request=request, now=now))


@pytest.mark.parametrize(
    ("now", "days_left", "text"),
    [
        (RECEIVED, 15, "15 days left"),  # the day of receipt
        (at(date(2026, 12, 20), 23, 59), 15, "15 days left"),
        (at(date(2027, 1, 3), 9), 1, "1 day left"),
        (at(date(2027, 1, 4), 0, 1), 0, "due today"),  # day 15: the last day, whole
        (at(date(2027, 1, 4), 23, 59), 0, "due today"),
        (at(date(2027, 1, 5), 0, 1), -1, "overdue by 1 day"),  # day 16
        (at(date(2027, 1, 6), 12), -2, "overdue by 2 days"),
    ],
)
def test_the_countdown_reads_calendar_days_in_the_store(tenant_a, now, days_left, text):
    request = opened(tenant_a, RECEIVED)

    clock = dsr_clock(request=request, now=now)

    assert (clock.received_on, clock.due_on) == (date(2026, 12, 20), date(2027, 1, 4))
    assert clock.days_left == days_left
    assert clock.overdue == (days_left < 0)
    assert clock_text(request, now) == text


def test_a_request_received_late_in_the_evening_counts_from_that_day_in_sao_paulo(tenant_a):
    # 23:30 on 20/12 in São Paulo is already 21/12 in UTC.
    evening = at(date(2026, 12, 20), 23, 30)
    assert evening.astimezone(UTC).date() == date(2026, 12, 21)

    request = opened(tenant_a, evening)

    assert request.due_at == datetime.combine(date(2027, 1, 4), time.max, tzinfo=SAO_PAULO)
    assert dsr_clock(request=request, now=evening).days_left == 15
    # 23:30 on the last day is 02:30 UTC on the next: still the last day in the store.
    last_evening = at(date(2027, 1, 4), 23, 30)
    assert last_evening.astimezone(UTC).date() == date(2027, 1, 5)
    assert clock_text(request, last_evening) == "due today"
    assert clock_text(request, at(date(2027, 1, 5), 0, 30)) == "overdue by 1 day"


def test_a_request_received_just_after_midnight_in_sao_paulo_counts_from_the_new_day(tenant_a):
    # 00:30 on 21/12 in São Paulo; 03:30 in UTC, the same date.
    request = opened(tenant_a, at(date(2026, 12, 21), 0, 30))

    clock = dsr_clock(request=request, now=at(date(2026, 12, 21), 0, 30))

    assert (clock.received_on, clock.due_on, clock.days_left) == (
        date(2026, 12, 21),
        date(2027, 1, 5),
        15,
    )


def test_a_small_agent_store_counts_30_days_the_same_way(tenant_a):
    tenant_a.is_small_agent = True

    request = opened(tenant_a, RECEIVED)

    assert dsr_clock(request=request, now=RECEIVED).days_left == 30
    assert dsr_clock(request=request, now=RECEIVED).due_on == date(2027, 1, 19)


def test_the_clock_reads_in_portuguese_for_sellers(tenant_a):
    request = opened(tenant_a, RECEIVED)

    with override("pt-br"):
        texts = [
            str(dsr_clock(request=request, now=now))
            for now in (RECEIVED, at(date(2027, 1, 3), 9), at(date(2027, 1, 4), 9))
        ]
        late = str(dsr_clock(request=request, now=at(date(2027, 1, 6), 9)))

    assert texts == ["faltam 15 dias", "falta 1 dia", "vence hoje"]
    assert late == "atrasado há 2 dias"


# -- alerts -----------------------------------------------------------------------------------


def alerts_for(request: DataSubjectRequest, now: datetime) -> list[str]:
    return [label for found, label in dsr_alerts_due(now=now) if found.pk == request.pk]


def forget_alerts(request: DataSubjectRequest) -> None:
    client = redis_client()
    for key in client.scan_iter(redis_key("dsr-alert", request.pk, "*")):
        client.delete(key)


def test_alerts_follow_the_same_clock(tenant_a):
    request = opened(tenant_a, RECEIVED)

    assert alerts_for(request, at(date(2026, 12, 29), 23, 59)) == []  # 6 days left
    assert alerts_for(request, at(date(2026, 12, 30), 0, 1)) == ["5_days_left"]
    assert alerts_for(request, at(date(2027, 1, 3), 0, 1)) == ["1_day_left"]
    assert alerts_for(request, at(date(2027, 1, 4), 23, 30)) == ["1_day_left"]  # due today
    assert alerts_for(request, at(date(2027, 1, 5), 0, 1)) == ["overdue"]


def test_without_staff_addresses_no_alert_is_marked_sent(tenant_a, settings):
    request = opened(tenant_a, RECEIVED)
    forget_alerts(request)
    overdue = at(date(2027, 1, 5), 9)

    settings.ADMINS = []
    unsent = dsr_alerts_send(now=overdue)

    assert unsent == 0
    assert mail.outbox == []
    assert not redis_client().exists(redis_key("dsr-alert", request.pk, "overdue"))

    settings.ADMINS = [("Staff", "staff@peepers.test")]
    sent = dsr_alerts_send(now=overdue)

    assert sent == 1
    assert [m.to for m in mail.outbox] == [["staff@peepers.test"]]
    assert "due by the end of 04/01/2027 (America/Sao_Paulo" in mail.outbox[0].body
    assert "received on 20/12/2026 10:00" in mail.outbox[0].body
    forget_alerts(request)


def test_an_alert_whose_mail_failed_is_tried_again(tenant_a, settings):
    settings.ADMINS = [("Staff", "staff@peepers.test")]
    settings.EMAIL_BACKEND = "tests.compliance.test_deadlines.RefusingBackend"
    request = opened(tenant_a, RECEIVED)
    forget_alerts(request)

    with pytest.raises(ConnectionRefusedError):
        dsr_alerts_send(now=at(date(2027, 1, 5), 9))

    assert not redis_client().exists(redis_key("dsr-alert", request.pk, "overdue"))


class RefusingBackend:
    """An SMTP server that is down."""

    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("SMTP down")


# -- the checklist and the admin read the same clock -------------------------------------------


def checklist_item() -> tuple[Outcome, str]:
    found = next(r for r in checklist_run() if r.item == "Subject access requests handled")
    return found.outcome, found.evidence


def test_a_request_on_its_last_day_is_not_past_its_deadline_in_the_checklist(tenant_a):
    opened(tenant_a, timezone.now() - timedelta(days=15))

    outcome, evidence = checklist_item()

    assert outcome == Outcome.PASS
    assert "1 open request(s), 0 past the legal deadline" in evidence


def test_an_answer_on_the_evening_of_the_last_day_is_in_time_in_the_checklist(tenant_a):
    today = timezone.localtime(timezone.now(), SAO_PAULO).date()
    request = opened(tenant_a, at(today - timedelta(days=20), 9))
    answered = at(today - timedelta(days=5), 23)  # the last day, 02:00 UTC the next
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.COMPLETED, completed_at=answered
    )

    outcome, evidence = checklist_item()

    assert outcome == Outcome.PASS
    assert "1 answered in 365 days, 0 after the deadline" in evidence


def test_an_answer_on_the_16th_day_is_late_in_the_checklist(tenant_a):
    today = timezone.localtime(timezone.now(), SAO_PAULO).date()
    request = opened(tenant_a, at(today - timedelta(days=20), 9))
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.COMPLETED, completed_at=at(today - timedelta(days=4), 0, 30)
    )

    outcome, evidence = checklist_item()

    assert outcome == Outcome.FAIL
    assert "1 after the deadline" in evidence


def test_the_admin_list_shows_15_days_left_for_a_new_request(staff_client, tenant_a):
    request = opened(tenant_a, timezone.now())
    due = dsr_clock(request=request).due_on

    page = staff_client.get(
        "/admin/compliance/datasubjectrequest/", headers={"Accept-Language": "en"}
    ).text

    assert f"15 days left (due {due:%d/%m/%Y})" in page
