"""Staff views of billing (public host): catalogue, subscriptions, the event inbox, refunds.

Mirrors and invoices are read-only here: they change only through Stripe (sync actions fetch
Stripe's state). Refunds are made from an invoice and recorded with who and when.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from billing.catalog import stripe_catalog_sync
from billing.entitlements import entitlements_for
from billing.errors import BillingError
from billing.events import HANDLERS, STRIPE_INBOX
from billing.forms import RefundForm
from billing.invoices import invoices_sync
from billing.models import (
    BillingCustomer,
    BillingNotice,
    CheckoutAttempt,
    EventStatus,
    InvoiceRecord,
    Plan,
    Refund,
    RefundReason,
    StripeEvent,
    SubscriptionMirror,
    SubscriptionStatus,
    TaxRate,
)
from billing.refunds import refund_create, refund_retry
from billing.sync import subscription_sync
from core.admin_paging import EstimatedCountAdminMixin
from core.admin_readonly import ReadOnlyAdmin
from core.money import brl
from tenants.admin import StoreListColumn, store_list_column, store_page_section
from tenants.models import Tenant

NO_SUBSCRIPTION = "none"


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin[TaxRate]):
    list_display = [
        "name",
        "percentage",
        "inclusive",
        "jurisdiction",
        "active",
        "stripe_tax_rate_id",
    ]
    list_filter = ["active", "inclusive"]

    def get_readonly_fields(self, request: HttpRequest, obj: TaxRate | None = None) -> list[str]:
        # Stripe tax rates are immutable: archive this one and add another to change them.
        if obj is not None and obj.stripe_tax_rate_id:
            return ["percentage", "inclusive", "stripe_tax_rate_id"]
        return ["stripe_tax_rate_id"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = [
        "code",
        "name",
        "price",
        "trial_days",
        "max_items",
        "sync_interval_minutes",
        "is_public",
        "stripe_price_id",
    ]
    list_editable = ["is_public"]
    ordering = ["sort_order"]
    filter_horizontal = ["tax_rates"]
    readonly_fields = ["stripe_product_id", "stripe_price_id", "stripe_price_amount"]
    actions = ["sync_to_stripe"]
    fieldsets = [
        (None, {"fields": ["code", "name", "monthly_price_cents", "currency", "trial_days"]}),
        ("Offer", {"fields": ["is_public", "sort_order", "features", "tax_rates"]}),
        (
            "Limits",
            {
                "fields": [
                    "max_ml_accounts",
                    "max_items",
                    "max_orders_per_month",
                    "sync_interval_minutes",
                    "api_calls_per_day",
                ]
            },
        ),
        ("Stripe", {"fields": ["stripe_product_id", "stripe_price_id", "stripe_price_amount"]}),
    ]

    @admin.display(description="Per month", ordering="monthly_price_cents")
    def price(self, obj: Plan) -> str:
        return brl(obj.monthly_price_cents)

    @admin.action(description="Sync the whole catalogue to Stripe")
    def sync_to_stripe(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        try:
            report = stripe_catalog_sync()
        except BillingError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request, f"Catalogue in sync: {len(report)} change(s). {' · '.join(report)}"
        )


@admin.register(SubscriptionMirror)
class SubscriptionMirrorAdmin(ReadOnlyAdmin):
    """Every store's subscription; filter ``past_due`` for the dunning list."""

    list_display = [
        "tenant",
        "status",
        "plan",
        "current_period_end",
        "cancel_at_period_end",
        "latest_invoice_status",
        "payment_failed_since",
        "dispute_opened_at",
        "synced_at",
    ]
    list_filter = ["status", "plan", "cancel_at_period_end"]
    list_select_related = ["tenant", "plan"]
    search_fields = ["tenant__schema_name", "tenant__name", "=stripe_customer_id"]
    actions = ["sync_now"]
    list_actions_need_change = True

    @admin.action(description="Sync from Stripe now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[SubscriptionMirror]) -> None:
        done = 0
        for mirror in queryset.select_related("tenant"):
            customer = BillingCustomer.objects.filter(tenant=mirror.tenant).first()
            if customer is None:
                continue
            try:
                subscription_sync(customer=customer)
                invoices_sync(customer=customer)
            except BillingError as exc:
                self.message_user(request, f"{mirror.tenant}: {exc.message}", messages.ERROR)
                continue
            done += 1
        self.message_user(request, f"Synced {done} store(s) from Stripe.")


class EventTypeFilter(admin.SimpleListFilter):
    """The types Peepers handles (a fixed list: no ``DISTINCT`` over the whole inbox)."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in sorted(HANDLERS)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(type=value) if value else queryset


@admin.register(StripeEvent)
class StripeEventAdmin(EstimatedCountAdminMixin, ReadOnlyAdmin):
    """The Stripe webhook inbox: what arrived, what became of it, replay for failures."""

    list_display = ["received_at", "type", "event_id", "status", "tries", "tenant", "error"]
    list_filter = ["status", EventTypeFilter, ("received_at", admin.DateFieldListFilter)]
    list_select_related = ["tenant"]
    search_fields = ["=event_id", "=object_id"]
    search_help_text = "A Stripe event id (evt_…) or the id of its object (sub_…, in_…)."
    list_per_page = 100
    actions = ["replay"]
    list_actions_need_change = True

    @admin.display(description="Last error")
    def error(self, obj: StripeEvent) -> str:
        return obj.last_error[:120]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[StripeEvent], search_term: str
    ) -> tuple[QuerySet[StripeEvent], bool]:
        # Exact and case-sensitive: Stripe ids are, and so the unique index on event_id serves it.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(event_id=term) | Q(object_id=term)), False

    @admin.action(description="Replay (process again)")
    def replay(self, request: HttpRequest, queryset: QuerySet[StripeEvent]) -> None:
        count = STRIPE_INBOX.replay(ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        note = f"; {skipped} being processed right now were left alone" if skipped else ""
        self.message_user(request, f"Replaying {count} event(s){note}.")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StripeEvent]:
        return super().get_queryset(request).defer("payload")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = extra_context or {}
        extra_context["title"] = "Stripe events"
        # Dead, or waiting for a retry after a failed try.
        extra_context["failing"] = StripeEvent.objects.filter(
            Q(status=EventStatus.DEAD) | Q(status__in=StripeEvent.WAITING_STATUSES, tries__gt=0)
        ).count()
        return super().changelist_view(request, extra_context)


@admin.register(InvoiceRecord)
class InvoiceRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "stripe_created",
        "number",
        "tenant",
        "status",
        "total_brl",
        "refunded_brl",
        "payment_method_type",
        "refund_link",
    ]
    list_filter = ["status", "payment_method_type"]
    list_select_related = ["tenant"]
    search_fields = ["=stripe_invoice_id", "number", "tenant__schema_name", "=charge_id"]
    list_actions_need_change = True

    @admin.display(description="Total", ordering="total")
    def total_brl(self, obj: InvoiceRecord) -> str:
        return brl(obj.total)

    @admin.display(description="Refunded")
    def refunded_brl(self, obj: InvoiceRecord) -> str:
        return brl(obj.amount_refunded) if obj.amount_refunded else "—"

    @admin.display(description="Refund")
    def refund_link(self, obj: InvoiceRecord) -> str:
        if obj.status != "paid" or not obj.refundable_cents:
            return "—"
        return format_html(
            '<a href="{}">Refund…</a>', reverse("admin:billing_invoicerecord_refund", args=[obj.pk])
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="billing_invoicerecord_refund",
            ),
            *super().get_urls(),
        ]

    def refund_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("billing.add_refund"):
            raise PermissionDenied
        invoice = get_object_or_404(InvoiceRecord.objects.select_related("tenant"), pk=pk)
        form = RefundForm(request.POST or None, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            try:
                refund = refund_create(
                    invoice=invoice,
                    amount_cents=form.cleaned_data["amount"],
                    reason=RefundReason(form.cleaned_data["reason"]),
                    note=form.cleaned_data["note"],
                    requested_by=request.user.get_username(),
                    request_id=form.cleaned_data["request_id"],
                )
            except BillingError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, f"Refund of {brl(refund.amount_cents)}: {refund.get_status_display()}."
                )
                return redirect("admin:billing_refund_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund invoice {invoice}",
            "invoice": invoice,
            "form": form,
            "opts": self.model._meta,
            "boleto": invoice.payment_method_type == "boleto",
        }
        return TemplateResponse(request, "admin/billing/refund.html", context)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "requested_at",
        "tenant",
        "invoice",
        "amount_brl",
        "reason",
        "status",
        "requested_by",
        "stripe_refund_id",
        "error",
    ]
    list_filter = ["status", "reason"]
    list_select_related = ["tenant", "invoice"]
    actions = ["retry"]
    list_actions_need_change = True

    @admin.display(description="Amount", ordering="amount_cents")
    def amount_brl(self, obj: Refund) -> str:
        return brl(obj.amount_cents)

    @admin.action(description="Send again (refunds Stripe never confirmed)")
    def retry(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        for refund in queryset.select_related("invoice"):
            try:
                refund_retry(refund=refund)
            except BillingError as exc:
                self.message_user(request, f"{refund}: {exc.message}", messages.ERROR)


@admin.register(BillingCustomer)
class BillingCustomerAdmin(ReadOnlyAdmin):
    list_display = ["stripe_customer_id", "tenant", "tenant_public_id", "email", "created_at"]
    list_select_related = ["tenant"]
    search_fields = ["=stripe_customer_id", "email", "tenant__schema_name"]


@admin.register(BillingNotice)
class BillingNoticeAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "kind", "tenant", "recipient", "key"]
    list_filter = ["kind"]
    list_select_related = ["tenant"]


@admin.register(CheckoutAttempt)
class CheckoutAttemptAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "tenant", "plan", "status", "started_by", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["tenant", "plan"]


class SubscriptionStatusFilter(admin.SimpleListFilter):
    title = "subscription"
    parameter_name = "subscription"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in SubscriptionStatus.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if value == NO_SUBSCRIPTION:
            return queryset.filter(
                Q(subscription__isnull=True) | Q(subscription__status=NO_SUBSCRIPTION)
            )
        return queryset.filter(subscription__status=value)


def _subscription_label(value: str | None) -> str:
    return str(SubscriptionStatus(value).label) if value else "—"


store_list_column(
    StoreListColumn(
        name="subscription_status",
        description="Subscription",
        annotation=lambda: Subquery(
            SubscriptionMirror.objects.filter(tenant=OuterRef("pk")).values("status")[:1]
        ),
        render=_subscription_label,
        list_filter=SubscriptionStatusFilter,
    )
)


def _changelist(model: str, tenant: Tenant) -> str:
    return f"{reverse(f'admin:billing_{model}_changelist')}?tenant__id__exact={tenant.pk}"


@store_page_section("Subscription and billing")
def _billing_section(tenant: Tenant) -> SafeString:
    mirror = SubscriptionMirror.objects.select_related("plan").filter(tenant=tenant).first()
    access = entitlements_for(tenant=tenant)
    rows: list[tuple[str, Any]] = [("Access", f"{access.access} ({access.reason})")]
    if mirror is None:
        rows.append(("Subscription", "none"))
    else:
        rows += [
            ("Subscription", mirror.get_status_display()),
            ("Stripe plan", mirror.plan.name if mirror.plan else mirror.stripe_price_id or "—"),
            ("Period ends", mirror.current_period_end or "—"),
            ("Cancels at period end", "yes" if mirror.cancel_at_period_end else "no"),
            ("Latest invoice", mirror.latest_invoice_status or "—"),
            ("Payment failing since", mirror.payment_failed_since or "—"),
            ("Synced from Stripe", mirror.synced_at),
        ]
    links = [
        ("Stripe events", _changelist("stripeevent", tenant)),
        ("Invoices", _changelist("invoicerecord", tenant)),
        ("Refunds", _changelist("refund", tenant)),
        ("Subscription", _changelist("subscriptionmirror", tenant)),
    ]
    return format_html(
        "<table>{}</table><p>{}</p>",
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        format_html_join(" · ", '<a href="{}">{}</a>', ((url, name) for name, url in links)),
    )
