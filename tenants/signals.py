"""Signals other apps listen to, so that tenants never imports them."""

from django.dispatch import Signal

# Sent by tenant_set_status after the change; kwargs: tenant, previous (status), status.
tenant_status_changed = Signal()

# Sent by tenant_create once the new store is committed; kwargs: tenant, owner (its first user).
tenant_created = Signal()
