from typing import Any

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper

class DatabaseWrapper(PostgresDatabaseWrapper):
    search_path_set_schemas: list[str] | None
    schema_name: str
    tenant: Any
    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...
    def set_schema_to_public(self) -> None: ...
    def _get_cursor_search_paths(self) -> list[str]: ...
