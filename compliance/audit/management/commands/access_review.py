"""``access_review [--inactive-days N] [--dry-run] [--json]``: the monthly staff access review."""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.audit.access_review import AccessReview, access_review_run
from compliance.audit.services import Actor


class Command(BaseCommand):
    help = (
        "List staff accounts (last login, superuser, groups, permissions) and disable those "
        "inactive for more than --inactive-days; the review is recorded in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inactive-days",
            type=int,
            default=None,
            help="Disable staff inactive this long (default ACCESS_REVIEW_INACTIVE_DAYS).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be disabled; change nothing."
        )
        parser.add_argument("--json", action="store_true", help="One JSON document on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["inactive_days"] or settings.ACCESS_REVIEW_INACTIVE_DAYS
        if days < 1:
            raise CommandError("--inactive-days must be at least 1")
        review = access_review_run(
            inactive_days=days,
            dry_run=options["dry_run"],
            actor=Actor.system(f"access_review command ({_os_user()})"),
        )
        if options["json"]:
            self.stdout.write(json.dumps(review.as_dict(), indent=2))
            return
        self._table(review)

    def _table(self, review: AccessReview) -> None:
        header = f"{'e-mail':<36} {'active':<7} {'super':<6} {'last login':<17} {'idle':>5}  groups"
        self.stdout.write(header)
        for entry in review.staff:
            last = entry.last_login.strftime("%Y-%m-%d %H:%M") if entry.last_login else "never"
            state = "yes" if entry.is_active else "no"
            mark = "  <- disabled" if entry.disabled else ""
            self.stdout.write(
                f"{entry.email:<36} {state:<7} {'yes' if entry.is_superuser else 'no':<6} "
                f"{last:<17} {entry.inactive_days:>4}d  {', '.join(entry.groups) or '-'}{mark}"
            )
            if not entry.is_superuser and entry.permissions:
                self.stdout.write(f"{'':<36} permissions: {', '.join(entry.permissions)}")
        verb = "would be disabled" if review.dry_run else "disabled"
        self.stdout.write(
            f"{len(review.staff)} staff account(s); {len(review.disabled)} {verb} "
            f"(inactive over {review.inactive_days} days)."
        )
        if review.dry_run:
            self.stdout.write("Dry run: nothing was changed or recorded.")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
