"""Connecting and disconnecting a store's Mercado Livre account.

``ml_connect_start`` records an attempt (PKCE verifier encrypted) and returns ML's
authorization URL; the ``state`` is a signed, expiring reference to that attempt.
``ml_connect_complete`` runs on the public host's ``/auth/callback``: it checks the state,
claims the attempt (a second use is refused), exchanges the code, reads ``/users/me`` and binds
the account to the store, or raises a typed error and changes nothing stored. The errors'
messages are for the seller, translated when raised (in the request's language; pt-BR outside a
request).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import tenant_context
from social_core.exceptions import AuthCanceled, AuthException, SocialAuthBaseException

from billing.entitlements import UPGRADE_PATH, PlanLimits, entitlements_for
from compliance.audit.models import ActorKind, AuditAction
from compliance.audit.services import Actor, ObjectRef, audit_record
from core import crypto
from core.metrics import metric_count
from core.tasks import enqueue_on_commit
from integrations.mercadolivre.accounts import accounts_counted
from integrations.mercadolivre.errors import (
    MLAccountBoundElsewhere,
    MLAuthorizationDenied,
    MLBadRequest,
    MLConnectError,
    MLDisconnectNotAllowed,
    MLNotConnected,
    MLPlanLimitReached,
    MLStateInvalid,
)
from integrations.mercadolivre.models import COUNTED_STATUSES, MLAccount, MLAccountStatus
from integrations.mercadolivre.oauth import ConnectStrategy, MercadoLivreOAuth2
from integrations.mercadolivre.tokens import TokenGrant, grant_from_response, store_grant
from integrations.models import (
    MLAuthorization,
    MLAuthorizationOutcome,
    MLConnection,
    MLConnectionStatus,
)
from tenants.models import Tenant
from users.models import User
from users.policy import may_manage

logger = logging.getLogger(__name__)

STATE_SALT = "peepers.integrations.ml-connect"
STATE_MAX_AGE = timedelta(minutes=15)
VERIFIER_BYTES = 48  # 64 url-safe characters, within PKCE's 43-128
# A reconnection's replay starts this long after the commit: a notification that was being
# processed at that moment, on the unusable account, has been parked by then and is replayed.
RECONNECT_SETTLE_SECONDS = 5


@dataclass(frozen=True)
class ConnectStarted:
    authorization_url: str
    attempt_id: str


@dataclass(frozen=True)
class Connected:
    tenant: Tenant
    ml_user_id: int
    nickname: str
    reconnected: bool = False  # connected (or synced) before: its work resumes


def ml_connect_start(*, tenant: Tenant, started_by: str) -> ConnectStarted:
    """Record a connect attempt for ``tenant`` and return where to send the seller."""
    entitlement = entitlements_for(tenant=tenant)
    if not entitlement.may_write:
        raise MLPlanLimitReached(
            _("%(reason)s See %(path)s.") % {"reason": entitlement.reason, "path": UPGRADE_PATH}
        )
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    attempt = MLAuthorization.objects.create(
        tenant=tenant,
        started_by=started_by,
        code_verifier=crypto.encrypt(verifier),
        expires_at=timezone.now() + STATE_MAX_AGE,
    )
    state = signing.dumps({"attempt": str(attempt.id)}, salt=STATE_SALT, compress=True)
    backend = MercadoLivreOAuth2(ConnectStrategy(state=state, code_verifier=verifier))
    metric_count("ml_oauth_flow", {"outcome": "started"})
    return ConnectStarted(authorization_url=backend.auth_url(), attempt_id=str(attempt.id))


def ml_connect_complete(*, callback_data: dict[str, Any]) -> Connected:
    """Finish a connect attempt from the callback's query parameters."""
    attempt = _claim_attempt(callback_data.get("state"))
    try:
        connected = _complete(attempt, callback_data)
    except MLConnectError as exc:
        exc.store_schema = attempt.tenant.schema_name
        MLAuthorization.objects.filter(pk=attempt.pk).update(
            outcome=(
                MLAuthorizationOutcome.DENIED
                if isinstance(exc, MLAuthorizationDenied)
                else MLAuthorizationOutcome.FAILED
            ),
            error=exc.message[:300],
        )
        metric_count("ml_oauth_flow", {"outcome": "failed"})
        logger.info("ML connect for %s failed: %s", attempt.tenant.schema_name, exc.message)
        raise
    MLAuthorization.objects.filter(pk=attempt.pk).update(
        outcome=MLAuthorizationOutcome.CONNECTED, ml_user_id=connected.ml_user_id
    )
    metric_count("ml_oauth_flow", {"outcome": "connected"})
    logger.info(
        "store %s %s ML user %s",
        connected.tenant.schema_name,
        "reconnected" if connected.reconnected else "connected",
        connected.ml_user_id,
    )
    return connected


def _claim_attempt(state: object) -> MLAuthorization:
    if not isinstance(state, str) or not state:
        raise MLStateInvalid(_("The link back from Mercado Livre has no state; start again."))
    try:
        payload = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise MLStateInvalid(_("This connection attempt expired; start again.")) from exc
    except signing.BadSignature as exc:
        raise MLStateInvalid(_("This link was altered or is not ours; start again.")) from exc
    attempt_id = payload.get("attempt") if isinstance(payload, dict) else None
    if not isinstance(attempt_id, str):
        raise MLStateInvalid(_("This link was altered or is not ours; start again."))
    with transaction.atomic():
        # Claimed once: a replayed callback (back button, a leaked URL) finds it completed.
        attempt = (
            MLAuthorization.objects.select_for_update()
            .select_related("tenant")
            .filter(pk=attempt_id)
            .first()
        )
        if attempt is None:
            raise MLStateInvalid(_("This connection attempt is unknown; start again."))
        if attempt.completed_at is not None:
            raise MLStateInvalid(_("This connection link was already used; start again."))
        attempt.completed_at = timezone.now()
        attempt.save(update_fields=["completed_at"])
    return attempt


def _complete(attempt: MLAuthorization, callback_data: dict[str, Any]) -> Connected:
    if callback_data.get("error"):
        raise MLAuthorizationDenied(
            _("You did not authorize Peepers on Mercado Livre, so nothing was connected."),
            error=str(callback_data.get("error"))[:60],
        )
    code = callback_data.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 512:
        raise MLConnectError(_("Mercado Livre sent no usable authorization code; start again."))
    backend = MercadoLivreOAuth2(
        ConnectStrategy(
            state=str(callback_data["state"]),
            code_verifier=crypto.decrypt(attempt.code_verifier),
            callback_data={"code": code.strip(), "state": callback_data["state"]},
        )
    )
    try:
        result: dict[str, Any] = backend.auth_complete()  # type: ignore[assignment]
    except AuthCanceled as exc:
        raise MLAuthorizationDenied(
            _("You did not authorize Peepers on Mercado Livre, so nothing was connected.")
        ) from exc
    except (AuthException, SocialAuthBaseException) as exc:
        raise MLConnectError(_explain(exc), error=str(getattr(exc, "code", ""))) from exc
    try:
        grant = grant_from_response(result.get("token"))
    except MLBadRequest as exc:
        raise MLConnectError(
            _("Mercado Livre answered oddly: %(detail)s") % {"detail": exc.message}
        ) from exc
    user = result.get("user") or {}
    if not isinstance(user, dict) or user.get("id") != grant.user_id:
        raise MLConnectError(_("Mercado Livre's account details did not match the authorization."))
    return _bind(attempt=attempt, grant_user=user, grant=grant)


def _explain(exc: Exception) -> str:
    code = str(getattr(exc, "code", ""))
    provider = str(getattr(exc, "provider_code", "") or "")
    if code in {"timeout", "connection_failed", "unavailable"}:
        return _("Mercado Livre could not be reached to finish connecting; try again in a minute.")
    if code == "rate_limited":
        return _("Mercado Livre is busy right now; try again in a minute.")
    if provider == "invalid_grant" or code in {"invalid_grant", "access_denied"}:
        return _("Mercado Livre refused the authorization (it expired or was used); start again.")
    if code == "malformed_response":
        return _("Mercado Livre answered something we could not read; try again.")
    return _("Mercado Livre refused to finish connecting; start again.")


def _bound_elsewhere(account: object, owner_email: str = "", *, connected: bool = True) -> str:
    domain = owner_email.rpartition("@")[2]
    if domain and not connected:
        return _(
            "The Mercado Livre account %(account)s belongs to another Peepers store (its "
            "owner's e-mail is at %(domain)s), which keeps its data. Write to support to move "
            "it to this store."
        ) % {"account": account, "domain": domain}
    if not domain:
        return _(
            "The Mercado Livre account %(account)s is already connected to another Peepers store."
        ) % {"account": account}
    return _(
        "The Mercado Livre account %(account)s is already connected to another Peepers store "
        "(its owner's e-mail is at %(domain)s). Disconnect it there first."
    ) % {"account": account, "domain": domain}


def _owner_elsewhere(ml_user_id: int, tenant: Tenant) -> tuple[Tenant | None, bool]:
    """The other store this ML user belongs to, if any (an ML user belongs to one store only),
    and whether it is connected there now (else the store was created for it, or connected it
    before, and keeps its data)."""
    link = (
        MLConnection.objects.select_related("tenant")
        .filter(ml_user_id=ml_user_id)
        .exclude(tenant=tenant)
        .first()
    )
    if link is not None:
        return link.tenant, True
    return Tenant.objects.filter(ml_user_id=ml_user_id).exclude(pk=tenant.pk).first(), False


def _limit_reached(limits: PlanLimits) -> MLPlanLimitReached:
    return MLPlanLimitReached(
        ngettext(
            "The %(plan)s plan allows %(n)s Mercado Livre account. Upgrade your "
            "plan at %(path)s to connect another.",
            "The %(plan)s plan allows %(n)s Mercado Livre accounts. Upgrade your "
            "plan at %(path)s to connect another.",
            limits.max_ml_accounts,
        )
        % {"plan": limits.name, "n": limits.max_ml_accounts, "path": UPGRADE_PATH}
    )


def _bind(*, attempt: MLAuthorization, grant_user: dict[str, Any], grant: TokenGrant) -> Connected:
    tenant = attempt.tenant
    ml_user_id = int(grant.user_id)
    nickname = str(grant_user.get("nickname") or "")[:100]
    now = timezone.now()
    try:
        with transaction.atomic():
            # The store's row lock serializes its connects: two at once cannot both pass the
            # plan's limit.
            tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
            elsewhere, connected_there = _owner_elsewhere(ml_user_id, tenant)
            if elsewhere is not None:
                raise MLAccountBoundElsewhere(
                    _bound_elsewhere(
                        nickname or ml_user_id, elsewhere.owner_email, connected=connected_there
                    )
                )
            limits = entitlements_for(tenant=tenant).limits
            with tenant_context(tenant):
                account = (
                    MLAccount.objects.select_for_update().filter(ml_user_id=ml_user_id).first()
                )
                full = (
                    accounts_counted().exclude(ml_user_id=ml_user_id).count()
                ) >= limits.max_ml_accounts
                # A paused account connecting again takes a place if the plan has one, and
                # else stays paused (it takes none); any other account needs a place.
                if full and (account is None or account.status != MLAccountStatus.PAUSED):
                    raise _limit_reached(limits)
                paused = full
            if tenant.ml_user_id is None:
                tenant.ml_user_id = ml_user_id
                tenant.save(update_fields=["ml_user_id", "updated_at"])
            link = {
                "nickname": nickname,
                "status": (MLConnectionStatus.PAUSED if paused else MLConnectionStatus.ACTIVE),
                "connected_at": now,
                # The scheduled refresh reads it (tokens.py).
                "token_expires_at": now + timedelta(seconds=grant.expires_in),
            }
            # Only this store's row is updated: another store connecting the same seller at
            # this moment makes this insert fail on the unique ML user (below), never moves
            # its routing here.
            if not MLConnection.objects.filter(ml_user_id=ml_user_id, tenant=tenant).update(**link):
                MLConnection.objects.create(ml_user_id=ml_user_id, tenant=tenant, **link)
            with tenant_context(tenant):
                # This seller was connected before (whatever became of the account since):
                # what the disconnection held back resumes. Another seller starts from scratch.
                reconnected = account is not None
                account = account or MLAccount(ml_user_id=ml_user_id, connected_at=now)
                account.nickname = nickname
                account.site_id = str(grant_user.get("site_id") or "")[:8]
                account.connected_at = now
                account.connected_by = attempt.started_by
                account.disconnected_at = None
                store_grant(account=account, grant=grant, now=now)
                if paused:
                    account.status = MLAccountStatus.PAUSED
                account.save()
            # Imported here so the connect flow never loads the sync machinery at import time
            # (the sync may come to use this module, and a top-level import would then cycle).
            from integrations.mercadolivre.tasks import ml_initial_sync, ml_reconnected

            # After commit: a connect that rolls back starts nothing. A first connection syncs
            # from scratch; a reconnection replays and catches up (``reconnect``).
            # A paused account is caught up when the seller makes it active again.
            work = {"ml_user_id": ml_user_id}
            if reconnected and not paused:
                enqueue_on_commit(
                    ml_reconnected,
                    tenant=tenant,
                    kwargs=work,
                    countdown=RECONNECT_SETTLE_SECONDS,
                )
            elif not paused:
                enqueue_on_commit(ml_initial_sync, tenant=tenant, kwargs=work)
    except IntegrityError as exc:
        # MLConnection.ml_user_id (or Tenant.ml_user_id) taken by a concurrent connect of
        # another store.
        raise MLAccountBoundElsewhere(_bound_elsewhere(nickname or ml_user_id)) from exc
    return Connected(
        tenant=tenant, ml_user_id=ml_user_id, nickname=nickname, reconnected=reconnected
    )


def ml_disconnect(*, tenant: Tenant, actor: User | Actor, ml_user_id: int | None = None) -> int:
    """Forget the ML tokens of account ``ml_user_id`` (None: every account of the store) and
    stop routing its notifications; how many accounts. The account's data stays, shown as a
    disconnected account's, until the seller connects it again or the store is closed.

    ``actor`` is the store user asking (who must be allowed to manage the store) or a named
    system actor (a command, the offboarding). Raises ``MLDisconnectNotAllowed`` otherwise.
    """
    audit_actor = _audit_actor(
        actor, _("Only the store's owner or an admin can disconnect Mercado Livre.")
    )
    with transaction.atomic():
        with tenant_context(tenant):
            connected = MLAccount.objects.select_for_update().exclude(
                status=MLAccountStatus.DISCONNECTED
            )
            if ml_user_id is not None:
                connected = connected.filter(ml_user_id=ml_user_id)
            accounts = list(connected)
            for account in accounts:
                account.status = MLAccountStatus.DISCONNECTED
                account.access_token = ""
                account.refresh_token = ""
                account.access_expires_at = None
                account.disconnected_at = timezone.now()
                account.save()
        ml_user_ids = [account.ml_user_id for account in accounts]
        MLConnection.objects.filter(tenant=tenant, ml_user_id__in=ml_user_ids).delete()
        # Nothing was connected: nothing changed, so nothing to record.
        for ml_user_id in ml_user_ids:
            audit_record(
                action=AuditAction.ML_DISCONNECTED,
                actor=audit_actor,
                tenant=tenant,
                obj=ObjectRef(type="mercadolivre.user", id=str(ml_user_id)),
            )
    logger.info("store %s disconnected %d ML account(s)", tenant.schema_name, len(accounts))
    return len(accounts)


def _audit_actor(actor: User | Actor, refusal: str) -> Actor:
    """The audit actor for a store user allowed to manage the store, or a named system actor;
    ``MLDisconnectNotAllowed`` with ``refusal`` otherwise."""
    if isinstance(actor, User):
        if not may_manage(user=actor):
            raise MLDisconnectNotAllowed(refusal)
        return Actor(kind=ActorKind.USER, id=str(actor.pk), email=actor.email)
    if actor.kind == ActorKind.SYSTEM:
        return actor
    raise MLDisconnectNotAllowed(refusal)


def _set_status(tenant: Tenant, accounts: list[MLAccount], status: str) -> None:
    MLAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
        status=status, updated_at=timezone.now()
    )
    # The public index mirrors the account's status (the same values; it has no disconnected).
    MLConnection.objects.filter(
        tenant=tenant, ml_user_id__in=[a.ml_user_id for a in accounts]
    ).update(status=MLConnectionStatus(status))


def ml_accounts_fit_plan(*, tenant: Tenant) -> list[int]:
    """Pause the accounts the store holds beyond its plan's limit; the ML user ids paused.

    Accounts waiting for a reconnection go first, then the most recently connected: the
    seller's oldest working accounts stay. The seller then chooses on the settings page
    (``ml_account_activate`` in place of another). Their data is kept, and notifications for
    them are kept (not processed) until they are active again.
    """
    limits = entitlements_for(tenant=tenant).limits
    with tenant_context(tenant):
        # Every scheduled pass asks: a store within its plan takes no lock.
        if accounts_counted().count() <= limits.max_ml_accounts:
            return []
    with transaction.atomic(), tenant_context(tenant):
        counted = list(accounts_counted().select_for_update())
        if len(counted) <= limits.max_ml_accounts:
            return []
        counted.sort(
            key=lambda a: (a.status == MLAccountStatus.ACTIVE, -a.connected_at.timestamp())
        )
        over = counted[: len(counted) - limits.max_ml_accounts]
        _set_status(tenant, over, MLAccountStatus.PAUSED)
        for account in over:
            audit_record(
                action=AuditAction.ML_ACCOUNT_PAUSED,
                actor=Actor(kind=ActorKind.SYSTEM, id="plan-limit"),
                tenant=tenant,
                obj=ObjectRef(type="mercadolivre.user", id=str(account.ml_user_id)),
                details={
                    "previous_status": account.status,
                    "plan": limits.code,
                    "limit": limits.max_ml_accounts,
                },
            )
    paused = [account.ml_user_id for account in over]
    logger.info(
        "store %s over its plan's %d account(s): paused ML user(s) %s",
        tenant.schema_name,
        limits.max_ml_accounts,
        paused,
    )
    return paused


def ml_account_pause(*, tenant: Tenant, actor: User | Actor, ml_user_id: int) -> None:
    """Stop syncing account ``ml_user_id`` (its data is kept), freeing its place on the plan."""
    audit_actor = _audit_actor(
        actor, _("Only the store's owner or an admin can change Mercado Livre accounts.")
    )
    with transaction.atomic(), tenant_context(tenant):
        account = (
            MLAccount.objects.select_for_update()
            .filter(ml_user_id=ml_user_id, status__in=COUNTED_STATUSES)
            .first()
        )
        if account is None:
            raise MLNotConnected(
                _("The Mercado Livre account %(account)s is not connected to this store.")
                % {"account": ml_user_id}
            )
        _set_status(tenant, [account], MLAccountStatus.PAUSED)
        audit_record(
            action=AuditAction.ML_ACCOUNT_PAUSED,
            actor=audit_actor,
            tenant=tenant,
            obj=ObjectRef(type="mercadolivre.user", id=str(ml_user_id)),
        )


def ml_account_activate(*, tenant: Tenant, actor: User | Actor, ml_user_id: int) -> None:
    """Make paused account ``ml_user_id`` active again, within the plan's limit, and catch it
    up (what arrived while it was paused is read again, as after a reconnection)."""
    audit_actor = _audit_actor(
        actor, _("Only the store's owner or an admin can change Mercado Livre accounts.")
    )
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        limits = entitlements_for(tenant=tenant).limits
        with tenant_context(tenant):
            account = (
                MLAccount.objects.select_for_update()
                .filter(ml_user_id=ml_user_id, status=MLAccountStatus.PAUSED)
                .first()
            )
            if account is None:
                raise MLNotConnected(
                    _("The Mercado Livre account %(account)s is not paused in this store.")
                    % {"account": ml_user_id}
                )
            if accounts_counted().count() >= (limits.max_ml_accounts):
                raise _limit_reached(limits)
            # An account that lapsed before it was paused still needs the seller to reconnect.
            usable = account.needs_reconnection_since is None and bool(
                account.access_token and account.refresh_token
            )
            _set_status(
                tenant,
                [account],
                MLAccountStatus.ACTIVE if usable else MLAccountStatus.NEEDS_RECONNECTION,
            )
            audit_record(
                action=AuditAction.ML_ACCOUNT_ACTIVATED,
                actor=audit_actor,
                tenant=tenant,
                obj=ObjectRef(type="mercadolivre.user", id=str(ml_user_id)),
                details={"needs_reconnection": not usable, "plan": limits.code},
            )
            if usable:
                # Imported here for the same reason as in ``_bind``.
                from integrations.mercadolivre.tasks import ml_reconnected

                enqueue_on_commit(ml_reconnected, tenant=tenant, kwargs={"ml_user_id": ml_user_id})
