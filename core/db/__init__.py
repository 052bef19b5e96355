"""Peepers' database backend: django-tenants' PostgreSQL backend, one SET search_path less."""
