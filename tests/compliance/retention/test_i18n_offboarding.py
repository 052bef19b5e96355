"""The e-mail to a closed store's owner is in the sellers' language (pt-BR), whoever runs it."""

from __future__ import annotations

from django.core import mail
from django.utils import translation

from compliance.retention.offboarding import DOWNLOAD_PATH
from compliance.retention.services import retention_run
from tests.compliance.retention.conftest import NOW
from tests.compliance.retention.test_offboarding import stores

__all__ = ["stores"]


def test_the_offboarding_email_is_in_portuguese_even_when_staff_read_english(stores, settings):
    settings.COMPLIANCE_EXPORT_LINK_DAYS = 7
    with translation.override("en"):  # a staff member's admin session in English
        retention_run(now=NOW, categories=["closed_stores"], origin="test")

    [sent] = mail.outbox
    assert sent.subject == "Sua loja ret-gone no Peepers: a exportação dos seus dados"
    assert "Sua loja ret-gone no Peepers foi encerrada" in sent.body
    assert "Uma cópia dos seus dados fica disponível por 7 dias em:" in sent.body
    assert DOWNLOAD_PATH in sent.body
