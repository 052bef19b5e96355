"""Incidents with the runbook's SLA timers, and the notifications sent about them."""
