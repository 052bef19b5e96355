from typing import Any, ClassVar

from django.db import models

class TenantMixin(models.Model):
    auto_drop_schema: ClassVar[bool]
    auto_create_schema: ClassVar[bool]
    clone_mode: ClassVar[str]
    schema_name = models.CharField(max_length=63)
    domain_url: str | None
    def activate(self) -> None: ...
    @classmethod
    def deactivate(cls) -> None: ...
    def get_primary_domain(self) -> Any: ...
    def create_schema(
        self, check_if_exists: bool = ..., sync_schema: bool = ..., verbosity: int = ...
    ) -> bool: ...

class DomainMixin(models.Model):
    domain = models.CharField(max_length=253)
    is_primary = models.BooleanField()
    tenant: Any
