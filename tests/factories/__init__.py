"""Builders for the models that more than one test helper makes; each module is one domain.

A builder returns a saved row (``*_create``) or an unsaved one for ``bulk_create``; every value
a test depends on is a keyword the caller passes, and the defaults are only what all callers
shared.
"""
