"""The "ML API Compliance" checklist items integrations registers
(``integrations/mercadolivre/checklists.py``)."""

import pytest

from compliance.checklists import Outcome, checklist_run

pytestmark = pytest.mark.django_db


def result(item):
    return next(r for r in checklist_run() if r.item == item)


def test_an_ml_connect_check_with_nothing_to_check_is_unknown_not_pass():
    found = result("OAuth 2.0 + PKCE compliant")

    assert found.outcome == Outcome.UNKNOWN
    assert "nothing to check" in found.evidence


def test_the_ip_allow_list_check(settings):
    settings.ML_WEBHOOK_ALLOWED_IPS = []
    assert result("IP whitelist validation active").outcome == Outcome.FAIL
    settings.ML_WEBHOOK_ALLOWED_IPS = ["54.88.218.97"]
    assert result("IP whitelist validation active").outcome == Outcome.PASS
