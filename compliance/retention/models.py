"""Retention policies per data category and the runs that enforce them."""
