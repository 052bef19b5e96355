"""Fields of backups that look personal to the compliance registry but name staff or jobs."""

from __future__ import annotations

from compliance.registry import not_personal
from operations.backups.models import Backup, Restore

not_personal(Backup, fields=["by"], reason="staff member or scheduled job that ran it")
not_personal(Restore, fields=["by"], reason="staff member or scheduled job that ran it")
