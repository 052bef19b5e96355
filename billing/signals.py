"""Signals other apps listen to, so that billing never imports them."""

from django.dispatch import Signal

# Sent once a store's plan changed and the change committed; kwargs: tenant, previous (code),
# plan (code).
plan_changed = Signal()
