"""What the Mercado Livre connection tells the apps above it (operations opens incidents from
these); each signal says who sends it, when, and with which keyword arguments."""

from __future__ import annotations

from django.dispatch import Signal

# A store lost its ML connection to our own failure, not to the seller: a token refresh was
# interrupted (the process killed, or the connection lost, after the request may have reached
# ML, which rotates the refresh token on receipt), and the next refresh got ``invalid_grant``.
# Sent by the token code (sender: ``MLAccount``) once the account is marked for reconnection
# and its owners asked to reconnect, outside any caller's transaction.
# Keyword arguments:
#   schema: str        the store's schema name
#   ml_user_id: int    the seller's ML user id
#   started_at: datetime  when the interrupted refresh began (aware)
#   message: str       ML's answer to the refresh that failed
# Operations opens one P1 incident per store and account (operations/incidents/receivers.py).
refresh_interrupted = Signal()
