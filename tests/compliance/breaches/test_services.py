"""The case workflow: phases in order, the Art. 48 §1 gate, drafts and the register."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.breaches.errors import (
    BreachError,
    NoticeIncomplete,
    NotificationUndecided,
    PhaseOutOfOrder,
)
from compliance.breaches.models import BreachCase, Phase
from compliance.breaches.register import breach_register, register_rows
from compliance.breaches.services import (
    breach_advance,
    breach_affected_add,
    breach_notice_drafts,
    breach_record_notification,
)
from tests.compliance.breaches.support import FACTS, STAFF, assessed, open_case


def notify(case, **kwargs):
    return breach_record_notification(
        case=case,
        by=STAFF,
        anpd_protocol=kwargs.pop("anpd_protocol", "00261.000123/2025-01"),
        subjects_channel=kwargs.pop("subjects_channel", "e-mail individual"),
        **kwargs,
    )


def test_opening_starts_the_clock_at_awareness(db):
    case = open_case(awareness_at=timezone.now() - timedelta(minutes=5))

    assert case.status == Phase.CONTAINMENT
    assert case.containment_started_by == STAFF
    assert case.notification_due_at > case.awareness_at + timedelta(days=3)


def test_awareness_in_the_future_is_refused(db):
    with pytest.raises(BreachError, match="future"):
        open_case(awareness_at=timezone.now() + timedelta(hours=1))


def test_phases_advance_in_order_recording_who_and_when(db):
    case = assessed(open_case())
    case = notify(case)
    later = timezone.now()

    case = breach_advance(case=case, phase=Phase.RECOVERY, by="ana@peepers.test", at=later)
    case = breach_advance(case=case, phase=Phase.CLOSED, by="rui@peepers.test", at=later)

    assert case.status == Phase.CLOSED
    assert (case.notification_finished_by, case.notification_finished_at) == (
        "ana@peepers.test",
        later,
    )
    assert (case.closed_by, case.closed_at) == ("rui@peepers.test", later)
    assert case.containment_finished_by == case.assessment_finished_by == STAFF


@pytest.mark.parametrize("target", [Phase.NOTIFICATION, Phase.RECOVERY, Phase.CLOSED, "bogus"])
def test_a_phase_cannot_be_skipped(db, target):
    case = open_case()

    with pytest.raises(PhaseOutOfOrder):
        breach_advance(case=case, phase=target, by=STAFF)
    assert BreachCase.objects.get(pk=case.pk).status == Phase.CONTAINMENT


def test_a_phase_cannot_go_back(db):
    case = assessed(open_case())

    with pytest.raises(PhaseOutOfOrder):
        breach_advance(case=case, phase=Phase.ASSESSMENT, by=STAFF)


def test_assessment_must_decide_whether_to_notify(db):
    case = breach_advance(case=open_case(), phase=Phase.ASSESSMENT, by=STAFF)

    with pytest.raises(NotificationUndecided):
        breach_advance(case=case, phase=Phase.NOTIFICATION, by=STAFF)


@pytest.mark.parametrize(
    "blank", ["data_nature", "security_measures", "risks", "mitigation_measures"]
)
def test_notification_is_refused_without_the_art48_content(db, blank):
    case = assessed(open_case(), **{blank: ""})

    with pytest.raises(NoticeIncomplete) as refused:
        notify(case)

    assert len(refused.value.missing) == 1
    case.refresh_from_db()
    assert case.anpd_notified_at is None


def test_notification_needs_the_subject_count_and_protocol(db):
    case = assessed(open_case(), subjects_count=None)

    with pytest.raises(NoticeIncomplete) as refused:
        notify(case, anpd_protocol=" ")

    assert any("number of data subjects" in m for m in refused.value.missing)
    assert any("protocol" in m for m in refused.value.missing)


def test_a_late_notification_needs_the_reasons_for_delay(db):
    case = assessed(open_case(awareness_at=timezone.now() - timedelta(days=10)))

    with pytest.raises(NoticeIncomplete, match="V - reasons for the delay"):
        notify(case)

    BreachCase.objects.filter(pk=case.pk).update(delay_reasons="Fornecedor só confirmou hoje")
    assert notify(case).anpd_notified_at is not None


def test_recovery_waits_for_the_notices_or_a_reason_not_to_notify(db):
    notified = assessed(open_case())
    with pytest.raises(NotificationUndecided):
        breach_advance(case=notified, phase=Phase.RECOVERY, by=STAFF)

    not_notified = assessed(open_case(), notify=False)
    with pytest.raises(NotificationUndecided, match="why"):
        breach_advance(case=not_notified, phase=Phase.RECOVERY, by=STAFF)
    BreachCase.objects.filter(pk=not_notified.pk).update(
        not_notified_reason="Dados criptografados; sem risco relevante (art. 48 §3)"
    )
    assert breach_advance(case=not_notified, phase=Phase.RECOVERY, by=STAFF).status == "recovery"


def test_drafts_carry_the_facts_of_the_case(db, tenant_a):
    case = assessed(open_case())
    breach_affected_add(case=case, tenant=tenant_a, subjects_count=7)

    drafts = breach_notice_drafts(case=case)

    for draft in drafts.all():
        for fact in (FACTS["data_nature"], FACTS["risks"], FACTS["mitigation_measures"]):
            assert fact in draft.body, (draft.audience, fact)
    assert "1234" in drafts.anpd.body
    assert "Store A" in drafts.anpd.body
    assert FACTS["security_measures"] in drafts.anpd.body
    assert "dentro do prazo" in drafts.anpd.body
    [store] = drafts.tenants
    assert store.recipient == tenant_a.owner_email
    assert "Titulares da sua loja afetados: 7" in store.body


def test_drafts_mark_what_is_missing(db):
    drafts = breach_notice_drafts(case=open_case())

    assert "[a preencher]" in drafts.anpd.body
    assert drafts.tenants == ()


def test_the_register_keeps_not_notified_cases_and_leaves_drills_out(db):
    notified = notify(assessed(open_case(title="Notified")))
    quiet = assessed(open_case(title="Not notified"), notify=False)
    BreachCase.objects.filter(pk=quiet.pk).update(not_notified_reason="Sem risco relevante")
    drill = open_case(title="Drill", is_drill=True)

    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(breach_register(fmt="csv")))}

    assert set(rows) == {str(notified.pk), str(quiet.pk)}
    assert rows[str(quiet.pk)]["not_notified_reason"] == "Sem risco relevante"
    assert rows[str(notified.pk)]["anpd_protocol"] == "00261.000123/2025-01"
    assert rows[str(notified.pk)]["notified_on_time"] == "True"
    with_drills = json.loads(breach_register(fmt="json", include_drills=True))
    assert drill.pk in {row["id"] for row in with_drills["cases"]}


def test_cases_stay_in_the_register_five_years(db):
    old = open_case(awareness_at=timezone.now() - timedelta(days=365 * 6))
    recent = open_case(awareness_at=timezone.now() - timedelta(days=365 * 4))

    ids = {row["id"] for row in register_rows()}

    assert recent.pk in ids
    assert old.pk not in ids
    assert old.pk in {row["id"] for row in register_rows(include_expired=True)}
    assert recent.keep_until.year == recent.awareness_at.year + 5


def test_affected_store_survives_in_the_register_after_the_store_goes(db, tenant_a):
    case = open_case()
    row = breach_affected_add(case=case, tenant=tenant_a, subjects_count=3)

    assert (row.tenant_name, row.tenant_slug) == ("Store A", "tenant-a")
    assert "Store A (3)" in register_rows()[0]["affected_stores"]
