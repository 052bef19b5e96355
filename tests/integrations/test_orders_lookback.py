"""The initial sync copies the last 12 months of orders, as the orders page promises (ML keeps
orders for 12 months): nothing older, everything newer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLOrder
from integrations.mercadolivre.sync import ml_sync_initial
from tests.integrations.support import connect, sandbox_until
from tests.support.sandbox import SandboxAdmin

pytestmark = pytest.mark.django_db


@pytest.fixture
def older_history(settings) -> Iterator[SandboxAdmin]:
    """A seller whose history ends 200 days ago and so began some 500 days ago."""
    with sandbox_until(
        settings,
        data_end=(timezone.now() - timedelta(days=200)).replace(microsecond=0),
        sellers=1,
        items=10,
        orders=60,
        questions=2,
        seed=4,
    ) as sandbox:
        yield sandbox


def test_the_initial_sync_copies_the_last_12_months_of_orders(older_history, tenant_a):
    seller = connect(older_history, tenant_a)
    since = timezone.now() - timedelta(days=365)
    served = older_history.server.state.dataset.orders.values()
    recent = {o.id for o in served if o.seller_id == seller and o.date_created >= since}
    older = {o.id for o in served if o.seller_id == seller and o.date_created < since}
    assert recent
    assert older  # the history reaches further back than the sync goes

    ml_sync_initial(tenant=tenant_a)

    with tenant_context(tenant_a):
        stored = set(MLOrder.objects.values_list("id", flat=True))
    assert stored == recent
