"""Building breach cases for the tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from compliance.breaches.models import BreachCase, Phase
from compliance.breaches.services import breach_advance, breach_open

STAFF = "staff@peepers.test"

FACTS = {
    "data_nature": "Nomes e endereços de compradores",
    "subject_categories": "Compradores da loja",
    "subjects_count": 1234,
    "security_measures": "Criptografia AES em repouso e TLS em trânsito",
    "risks": "Golpes de falsa entrega por telefone",
    "mitigation_measures": "Chave revogada e tokens rotacionados",
}


def open_case(*, awareness_at: datetime | None = None, **kwargs: Any) -> BreachCase:
    awareness_at = awareness_at or timezone.now() - timedelta(hours=2)
    defaults: dict[str, Any] = {
        "title": "Token de API exposto em log",
        "description": "Um token do ML apareceu em um log compartilhado.",
        "detected_by": "alertas de segurança",
        "by": STAFF,
    }
    defaults.update(kwargs)
    return breach_open(awareness_at=awareness_at, at=awareness_at, **defaults)


def assessed(case: BreachCase, *, notify: bool = True, **facts: Any) -> BreachCase:
    """Fill the Art. 48 §1 facts and take the case into the notification phase."""
    case = breach_advance(case=case, phase=Phase.ASSESSMENT, by=STAFF, at=case.awareness_at)
    for field, value in {**FACTS, **facts}.items():
        setattr(case, field, value)
    case.notification_required = notify
    case.save()
    return breach_advance(case=case, phase=Phase.NOTIFICATION, by=STAFF, at=case.awareness_at)
