"""The overview's figures and the sync page's notifications reload in place every
PEEPERS_LIVE_REFRESH_SECONDS (0: never);
tests/browser/test_overview_live.py sees it happen."""

import pytest

from tests.dashboard.support import account_connect
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("seconds", "polls"), [(30, True), (0, False)])
def test_the_overview_polls_itself_as_configured(tenant_a, settings, seconds, polls):
    settings.PEEPERS_LIVE_REFRESH_SECONDS = seconds
    account_connect(tenant_a, ml_user_id=111)

    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'id="overview-live"' in html
    assert ('hx-trigger="every 30s" hx-select="#overview-live"' in html) is polls


@pytest.mark.parametrize(("seconds", "polls"), [(30, True), (0, False)])
def test_the_sync_pages_notifications_poll_as_configured(tenant_a, settings, seconds, polls):
    settings.PEEPERS_LIVE_REFRESH_SECONDS = seconds
    account_connect(tenant_a, ml_user_id=111)

    html = store_client(tenant_a, login=True).get("/sync/?status=pending").content.decode()

    assert 'id="sync-events"' in html
    expected = 'hx-get="/sync/?status=pending" hx-trigger="every 30s" hx-select="#sync-events"'
    assert (expected in html) is polls
