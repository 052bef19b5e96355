"""django-tenants' backend, keeping the session's search_path when a switch does not change it.

With ``TENANT_LIMIT_SET_CALLS`` the backend remembers which search_path it set on the session
and skips the ``SET`` while nothing changed; but every ``set_tenant`` forgets it, even a switch
to the schema already set (the routing middleware switches to public and back on each
request). Here a switch to the same search_path keeps the remembered one. Rollbacks and
closed connections still forget it (django-tenants >= 4.0.1), so the ``SET`` is re-sent
whenever the session might have lost it.
"""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):
    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        already_set = self.search_path_set_schemas
        super().set_tenant(tenant, include_public)
        if already_set is not None and already_set == self._get_cursor_search_paths():
            self.search_path_set_schemas = already_set
