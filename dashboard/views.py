"""The seller dashboard's pages: parse the request, call a selector or service, render."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.entitlements import Entitlement, entitlements_for
from billing.usage import API_CALLS_TODAY, usage_for
from core.paging import CursorInvalid, Page
from dashboard import pages
from dashboard.charts import CHART_HEIGHT, CHART_WIDTH, revenue_bars
from dashboard.checklist import checklist_for
from dashboard.forms import AnswerForm, OrderFilterForm, ProductFilterForm, QuestionFilterForm
from integrations.mercadolivre.accounts import MLAccountPaused
from integrations.mercadolivre.answers import (
    ANSWER_MAX_CHARS,
    AnswerBusy,
    AnswerInvalid,
    AnswerRejected,
    QuestionAlreadyAnswered,
    QuestionNotFound,
    ml_question_answer,
)
from integrations.mercadolivre.errors import (
    MLNotConnected,
    MLRateLimited,
    MLReconnectRequired,
    MLServerError,
    MLUnavailable,
)
from integrations.mercadolivre.models import MLAccount, MLAccountStatus, MLQuestion
from integrations.mercadolivre.selectors.accounts import accounts_any_connected, accounts_listed
from integrations.mercadolivre.selectors.catalogue import (
    product_get,
    product_questions,
    question_get,
)
from integrations.mercadolivre.selectors.orders import order_get, orders_for_export
from integrations.mercadolivre.selectors.sales import (
    SELLER_TZ,
    overview_figures,
)
from integrations.mercadolivre.selectors.sync import (
    ml_account_current,
    run_progress,
    store_notifications,
    sync_run_last_success,
    sync_run_latest,
    sync_run_running,
    sync_runs,
)
from integrations.mercadolivre.sync_now import (
    SyncRefused,
    sync_next_allowed,
    sync_now_request,
    sync_request_pending,
)
from integrations.models import NotificationStatus
from operations.incidents.selectors import incidents_open_for
from tenants.context import request_tenant
from users.policy import may_manage


def _entitlement(request: HttpRequest) -> Entitlement:
    entitlement: Entitlement | None = getattr(request, "entitlement", None)
    return entitlement or entitlements_for(tenant=request_tenant(request))


def _cursor(request: HttpRequest) -> str:
    return request.GET.get("cursor", "")[:500]


def _query(request: HttpRequest) -> str:
    """The list's filters as a query string, without the page cursor (for page links)."""
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


def _accounts_context(accounts: list[MLAccount]) -> dict[str, Any]:
    """What the lists need to name each row's account: by MLAccount pk, and whether to show
    the column at all (only when the store holds more than one account, connected or not)."""
    return {
        "accounts_by_id": {account.pk: account for account in accounts},
        "show_accounts": len(accounts) > 1,
        "has_account": accounts_any_connected(accounts),
    }


def _bad_cursor(request: HttpRequest) -> HttpResponse:
    """A page link that no longer fits the list (edited, or another sort): back to its top."""
    query = request.GET.copy()
    query.pop("cursor", None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


# -- overview ------------------------------------------------------------------------------------


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    entitlement = _entitlement(request)
    accounts = accounts_listed()
    connected = [a for a in accounts if a.status != MLAccountStatus.DISCONNECTED]
    account = connected[0] if connected else None
    context: dict[str, Any] = {
        "account": account,
        "limits": entitlement.limits,
        "may_manage": may_manage(user=request.user),
        "checklist": checklist_for(tenant=tenant, accounts=accounts, entitlement=entitlement),
        "refresh_seconds": settings.PEEPERS_LIVE_REFRESH_SECONDS,
        **_accounts_context(accounts),
    }
    if account is not None:
        figures = overview_figures(accounts=accounts, breakdown=len(accounts) > 1)
        summary, counts = figures.sales, figures.counts
        last_run = sync_run_latest()
        context.update(
            summary=summary,
            bars=revenue_bars(summary),
            chart_width=CHART_WIDTH,
            chart_height=CHART_HEIGHT,
            counts=counts,
            last_run=last_run,
            last_success=sync_run_last_success(),
            api_calls=usage_for(tenant=tenant, names=[API_CALLS_TODAY])[API_CALLS_TODAY],
            incidents=incidents_open_for(tenant=tenant),
            connected=connected,
            breakdown=figures.by_account,
            needs_reconnection=[
                a for a in connected if a.status == MLAccountStatus.NEEDS_RECONNECTION
            ],
            items_over_limit=counts.items >= entitlement.limits.max_items > 0,
        )
    return render(request, "dashboard/overview.html", context)


# -- products ------------------------------------------------------------------------------------


def _list_page(
    request: HttpRequest,
    form_class: type[ProductFilterForm | OrderFilterForm],
    page_of: Callable[..., Page[Any]],
    *,
    template: str,
    results_template: str,
    **context: Any,
) -> HttpResponse:
    """A filtered list: the whole page, or only its results when htmx asks.

    Invalid filters are left out (each says why next to its field); a page link that no longer
    fits goes back to the list's top.
    """
    accounts = accounts_listed()
    form = form_class(request.GET, accounts=accounts)
    form.is_valid()
    try:
        page = page_of(filters=form.filters(), cursor=_cursor(request))
    except CursorInvalid:
        return _bad_cursor(request)
    if request.htmx:  # type: ignore[attr-defined]
        template = results_template
    context.update(
        form=form,
        page=page,
        query=_query(request),
        **_accounts_context(accounts),
    )
    return render(request, template, context)


@login_required
@require_GET
def products(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        ProductFilterForm,
        pages.product_page,
        template="dashboard/products.html",
        results_template="dashboard/_products_table.html",
    )


@login_required
@require_GET
def product_detail(request: HttpRequest, item_id: str) -> HttpResponse:
    item = product_get(item_id=item_id)
    if item is None:
        raise Http404
    return render(
        request,
        "dashboard/product_detail.html",
        {"item": item, "questions": product_questions(item_id=item.pk)},
    )


# -- orders --------------------------------------------------------------------------------------


@login_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        OrderFilterForm,
        pages.order_page,
        template="dashboard/orders.html",
        results_template="dashboard/_orders_table.html",
        may_export=CSV_EXPORT_FEATURE in _entitlement(request).limits.features,
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_get(order_id=order_id)
    if order is None:
        raise Http404
    return render(request, "dashboard/order_detail.html", {"order": order})


CSV_EXPORT_FEATURE = "csv_export"


class _Echo:
    """A file-like object whose ``write`` hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _money(cents: int) -> str:
    reais, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{reais}.{rest:02d}"


def _export_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
    yield writer.writerow(
        [
            _("Order"),
            _("Date (São Paulo)"),
            _("Status"),
            _("Buyer ID"),
            _("Buyer"),
            _("Total"),
            _("Paid"),
            _("Currency"),
            _("Items"),
            _("Account"),
            _("Account ML user ID"),
        ]
    )
    for (
        order_id,
        created,
        status,
        buyer_id,
        nickname,
        total,
        paid,
        currency,
        lines,
        account_nickname,
        account_ml_user_id,
    ) in rows:
        local = timezone.localtime(created, SELLER_TZ)
        items = "; ".join(
            f"{line.get('quantity')}x {line.get('title') or line.get('item_id')}"
            for line in lines or []
        )
        yield writer.writerow(
            [
                order_id,
                local.strftime("%Y-%m-%d %H:%M:%S"),
                status,
                buyer_id if buyer_id is not None else "",
                nickname,
                _money(total),
                _money(paid),
                currency,
                items,
                account_nickname or "",
                account_ml_user_id if account_ml_user_id is not None else "",
            ]
        )


@login_required
@require_GET
def orders_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if CSV_EXPORT_FEATURE not in _entitlement(request).limits.features:
        messages.error(
            request,
            _(
                "Exporting orders is part of the Pro and Business plans. "
                "Upgrade on the Billing page."
            ),
        )
        return redirect("dashboard-orders")
    form = OrderFilterForm(request.GET, accounts=accounts_listed())
    form.is_valid()
    rows = orders_for_export(filters=form.filters())
    stamp = timezone.localtime(timezone.now(), SELLER_TZ).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(_export_rows(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pedidos-{stamp}.csv"'
    return response


# -- questions -----------------------------------------------------------------------------------


def _answer_form(question: MLQuestion, data: Any = None) -> AnswerForm:
    return AnswerForm(data, auto_id=f"id_q{question.pk}_%s")


@login_required
@require_GET
def questions(request: HttpRequest) -> HttpResponse:
    accounts = accounts_listed()
    form = QuestionFilterForm(request.GET, accounts=accounts)
    form.is_valid()
    try:
        view = pages.questions_view(cursor=_cursor(request), account_id=form.account_id())
    except CursorInvalid:
        return _bad_cursor(request)
    for question in view.open.rows:
        question.answer_form = _answer_form(question)  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/questions.html",
        {
            "view": view,
            "form": form,
            "query": _query(request),
            "answer_max": ANSWER_MAX_CHARS,
            **_accounts_context(accounts),
        },
    )


@login_required
@require_POST
def question_answer(request: HttpRequest, question_id: int) -> HttpResponse:
    question = question_get(question_id=question_id)
    if question is None:
        raise Http404
    form = _answer_form(question, request.POST)
    form.is_valid()
    text = form.cleaned_data.get("text", "")
    notice = ""
    try:
        question = ml_question_answer(
            tenant=request_tenant(request), question_id=question.pk, text=text
        )
    except QuestionNotFound as exc:
        raise Http404 from exc
    except AnswerInvalid:
        length = len(text.strip())
        form.add_error(
            "text",
            _("Write an answer before sending.")
            if not length
            else _("The answer has %(length)d characters; Mercado Livre accepts at most %(max)d.")
            % {"length": length, "max": ANSWER_MAX_CHARS},
        )
    except QuestionAlreadyAnswered as exc:
        question = exc.question
        notice = _("This question had already been answered on Mercado Livre.")
    except AnswerRejected as exc:
        form.add_error(
            "text", _("Mercado Livre refused the answer: %(reason)s") % {"reason": exc.message}
        )
    except AnswerBusy:
        form.add_error(
            "text", _("Another answer to this question is being sent; try again shortly.")
        )
    except MLAccountPaused as exc:
        form.add_error("text", exc.message)
    except (MLNotConnected, MLReconnectRequired):
        form.add_error(
            "text",
            _("Your Mercado Livre account must be connected again before answering."),
        )
    except (MLUnavailable, MLRateLimited, MLServerError):
        form.add_error(
            "text",
            _("Mercado Livre could not be reached; nothing was answered. Try again shortly."),
        )
    answered = not form.errors
    question.answer_form = form  # type: ignore[attr-defined]
    context = {
        "question": question,
        "notice": notice,
        "answer_max": ANSWER_MAX_CHARS,
        **_accounts_context(accounts_listed()),
    }
    if request.htmx:  # type: ignore[attr-defined]
        # 200 either way: htmx swaps only successful responses, and the form shows the error.
        return render(request, "dashboard/_question.html", context)
    if answered:
        messages.success(request, notice or _("Answer sent to Mercado Livre."))
        return redirect("dashboard-questions")
    return render(request, "dashboard/question_answer.html", context, status=400)


# -- sync ----------------------------------------------------------------------------------------

NOTIFICATION_STATES = [choice for choice, _label in NotificationStatus.choices]


def _sync_context(request: HttpRequest) -> dict[str, Any]:
    tenant = request_tenant(request)
    running = sync_run_running()
    pending = None if running else sync_request_pending(tenant=tenant)
    runs = sync_runs()
    for run in runs:
        run.progress = run_progress(run)  # type: ignore[attr-defined]
    account = ml_account_current()
    if not runs and pending is None and account and account.status == MLAccountStatus.ACTIVE:
        # Connecting queued the initial sync; until a worker starts it there is no run to show.
        pending = account.connected_at
    return {
        "runs": runs,
        "running": running,
        "pending": pending,
        "polling": running is not None or pending is not None,
        "next_allowed": None
        if running or pending
        else sync_next_allowed(tenant=tenant, entitlement=_entitlement(request)),
        "account": account,
    }


@login_required
@require_GET
def sync(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in NOTIFICATION_STATES:
        status = ""
    notifications, by_status = store_notifications(tenant=request_tenant(request), status=status)
    context = _sync_context(request)
    context.update(
        notifications=notifications,
        by_status=by_status,
        status=status,
        notification_states=NotificationStatus.choices,
        # Notifications arriving show while the page is open.
        refresh_seconds=settings.PEEPERS_LIVE_REFRESH_SECONDS,
    )
    return render(request, "dashboard/sync.html", context)


@login_required
@require_GET
def sync_progress(request: HttpRequest) -> HttpResponse:
    """The runs panel alone, polled by htmx every 2 s while a sync is queued or running."""
    return render(request, "dashboard/_sync_runs.html", _sync_context(request))


@login_required
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    refused = ""
    try:
        sync_now_request(tenant=request_tenant(request), requested_by=request.user.get_username())
    except SyncRefused as exc:
        refused = exc.message
    if request.htmx:  # type: ignore[attr-defined]
        context = _sync_context(request)
        context.update(refused=refused, requested=not refused)
        return render(request, "dashboard/_sync_runs.html", context)
    if refused:
        messages.error(request, refused)
    else:
        messages.success(request, _("Sync requested; its progress is shown below."))
    return redirect("dashboard-sync")
