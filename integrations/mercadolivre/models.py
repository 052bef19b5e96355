"""A store's Mercado Livre account and its tokens (tenant schema; tokens encrypted at rest)."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MLAccountStatus(models.TextChoices):
    # Shown on the Mercado Livre settings page (the same words as the overview's account card).
    ACTIVE = "active", _("Connected")
    NEEDS_RECONNECTION = "needs_reconnection", _("Needs reconnection")
    DISCONNECTED = "disconnected", _("Disconnected")
    # Paused by the seller, or over the plan's account limit after a downgrade: not synced, its
    # data kept, until the seller makes it active again (in place of another) or upgrades.
    PAUSED = "paused", pgettext_lazy("ml account status", "Paused")


# The accounts that take a place under the plan's limit of accounts: connected ones, usable
# or waiting for the seller to reconnect (not paused or disconnected ones).
COUNTED_STATUSES = (MLAccountStatus.ACTIVE, MLAccountStatus.NEEDS_RECONNECTION)


class MLAccount(models.Model):
    """One Mercado Livre seller account this store acts for (a store may hold several, up to
    its plan's limit). Token fields hold ciphertext (core.crypto)."""

    ml_user_id = models.BigIntegerField(unique=True)
    nickname = models.CharField(max_length=100, blank=True)
    site_id = models.CharField(max_length=8, blank=True)
    scope = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=24, choices=MLAccountStatus.choices, default=MLAccountStatus.ACTIVE
    )
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField()
    connected_by = models.CharField(max_length=254, blank=True)
    needs_reconnection_since = models.DateTimeField(null=True, blank=True)
    # Written (and committed) before a refresh request leaves, cleared once its answer is
    # stored: still set later, that refresh was interrupted and may have spent the token.
    refresh_started_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Mercado Livre account"
        ordering = ["connected_at", "pk"]

    def __str__(self) -> str:
        return f"{self.nickname or self.ml_user_id} ({self.status})"

    @property
    def is_usable(self) -> bool:
        return self.status == MLAccountStatus.ACTIVE and bool(self.access_token)

    @property
    def label(self) -> str:
        """How pages and exports name the account: its nickname, else its ML user id."""
        return self.nickname or str(self.ml_user_id)


def account_field(related_name: str) -> models.ForeignKey[MLAccount | None, MLAccount | None]:
    """The account a row of ML data came from. Null only for rows a store held before it had
    any account row (the migration attaches every other row to the store's account)."""
    return models.ForeignKey(
        MLAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name=related_name,
    )


# The words of a listing's title for the products search: lower-cased, not stemmed ("simple"),
# so a word typed matches the title words it begins.
TITLE_SEARCH_VECTOR = SearchVector("title", config="simple")


class MLItem(models.Model):
    """A listing, as ML last described it. Money in centavos; ``raw`` is ML's whole answer."""

    id = models.CharField(primary_key=True, max_length=32)
    account = account_field("items")
    title = models.CharField(max_length=255)
    price_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    available_quantity = models.IntegerField()
    sold_quantity = models.IntegerField(default=0)
    status = models.CharField(max_length=24, db_index=True)
    permalink = models.URLField(max_length=500, blank=True)
    thumbnail = models.URLField(max_length=500, blank=True)
    category_id = models.CharField(max_length=32, blank=True)
    listing_type_id = models.CharField(max_length=32, blank=True)
    sku = models.CharField(max_length=100, blank=True, db_index=True)
    date_created = models.DateTimeField(null=True)
    last_updated = models.DateTimeField(db_index=True)
    raw = models.JSONField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_updated"]
        indexes = [
            # The product list's default order with what its search, filters and the overview's
            # counts read: those scans stay in this index (index-only) instead of the table,
            # whose rows carry ML's whole answer.
            models.Index(
                fields=["last_updated", "id"],
                include=["title", "sku", "status", "available_quantity"],
                name="mlitem_recent_cover",
            ),
            # The products search: words of the title (``integrations.mercadolivre.search``).
            GinIndex(TITLE_SEARCH_VECTOR, name="mlitem_title_search"),
            # The overview's "out of stock" count, in all and per account, index-only.
            models.Index(
                fields=["account", "id"],
                condition=models.Q(available_quantity__lte=0) & ~models.Q(status="closed"),
                name="mlitem_out_of_stock",
            ),
            # The product list of one account in its default order: the same columns as
            # ``mlitem_recent_cover``, so its keys stay index-only.
            models.Index(
                fields=["account", "last_updated", "id"],
                include=["title", "sku", "status", "available_quantity"],
                name="mlitem_account_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.title}"


class MLOrder(models.Model):
    id = models.BigIntegerField(primary_key=True)
    account = account_field("orders")
    status = models.CharField(max_length=32, db_index=True)
    date_created = models.DateTimeField(db_index=True)
    date_closed = models.DateTimeField(null=True)
    last_updated = models.DateTimeField(db_index=True, help_text="ML's date_last_updated.")
    total_cents = models.BigIntegerField()
    paid_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    buyer_id = models.BigIntegerField(null=True)
    buyer_nickname = models.CharField(max_length=100, blank=True)
    items = models.JSONField(help_text="Order lines: item id, title, quantity, unit price.")
    payments = models.JSONField(help_text="Payment summaries: id, status, amount, method.")
    shipping_id = models.BigIntegerField(null=True)
    raw = models.JSONField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-date_created"]
        indexes = [
            # The overview's sales per day, in all and per account, index-only.
            models.Index(
                fields=["date_created"],
                include=["status", "total_cents", "account"],
                name="mlorder_created_sales",
            ),
            # Orders filtered by status, newest first (keyset pages and their capped count).
            models.Index(fields=["status", "date_created", "id"], name="mlorder_status_created"),
            # One account's orders, newest first (keyset pages and their capped count).
            models.Index(fields=["account", "date_created", "id"], name="mlorder_account_created"),
        ]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"


class MLQuestion(models.Model):
    id = models.BigIntegerField(primary_key=True)
    account = account_field("questions")
    item_id = models.CharField(max_length=32, db_index=True)
    text = models.TextField()
    status = models.CharField(max_length=24, db_index=True)
    date_created = models.DateTimeField()
    last_updated = models.DateTimeField()
    from_id = models.BigIntegerField(null=True)
    answer_text = models.TextField(blank=True)
    answer_status = models.CharField(max_length=24, blank=True)
    answer_date = models.DateTimeField(null=True)
    raw = models.JSONField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-date_created"]

    def __str__(self) -> str:
        return f"question {self.id} ({self.status})"


class SyncKind(models.TextChoices):
    INITIAL = "initial", "Initial"
    INCREMENTAL = "incremental", "Incremental"


class SyncStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    """One sync of one of the store's ML accounts; ``cursor`` lets a crashed run continue where
    it stopped."""

    account = account_field("sync_runs")
    kind = models.CharField(max_length=16, choices=SyncKind.choices)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(auto_now=True)
    phase = models.CharField(max_length=16, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows written per kind.")
    totals = models.JSONField(default=dict, blank=True, help_text="Rows ML reported per kind.")
    ml_calls = models.IntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One running sync per kind per account: a second start resumes the first.
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=models.Q(status="running"),
                nulls_distinct=False,
                name="sync_run_one_running_per_account_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} sync {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
