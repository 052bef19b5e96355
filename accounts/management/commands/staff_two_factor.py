"""``staff_two_factor enable|disable|status``: two-factor for staff, who sign in to admin.

``enable EMAIL`` shows a new authenticator key (as an ``otpauth://`` link and as text), asks
for the code the app then shows, and prints the backup codes once. ``disable EMAIL`` is the
recovery for a lost phone, for whoever runs commands on a server; it is audit-logged.
``status`` lists the staff and whether each has two-factor on.
"""

from __future__ import annotations

import base64
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.util import random_hex

from accounts.errors import AccountError
from accounts.selectors import two_factor_enabled
from accounts.services import totp_device_for_setup, two_factor_enable, two_factor_remove
from tenants.context import use_public_schema
from users.models import User


class Command(BaseCommand):
    help = "Turn two-factor on or off for a staff member, or list who has it."
    # Where ``enable`` reads the app's code (tests answer it; as createsuperuser does).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["enable", "disable", "status"])
        parser.add_argument("email", nargs="?", help="The staff member's e-mail.")

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        action = options["action"]
        if action == "status":
            self._status()
            return
        if not options["email"]:
            raise CommandError(f"{action}: give the staff member's e-mail")
        staff = User.objects.filter(email__iexact=options["email"].strip(), is_staff=True).first()
        if staff is None:
            raise CommandError(f"no staff member has the e-mail {options['email']!r}")
        if action == "enable":
            self._enable(staff, options.get("stdin") or sys.stdin)
        else:
            self._disable(staff)

    def _status(self) -> None:
        for staff in User.objects.filter(is_staff=True).order_by("email"):
            state = "on" if two_factor_enabled(user=staff) else "OFF"
            active = "" if staff.is_active else " (disabled)"
            self.stdout.write(f"{staff.email}{active}: two-factor {state}")

    def _enable(self, staff: User, stdin: Any) -> None:
        if two_factor_enabled(user=staff):
            raise CommandError(
                f"two-factor is already on for {staff.email}; "
                "`staff_two_factor disable` first to replace the app"
            )
        key = random_hex(20)
        device = totp_device_for_setup(user=staff, key=key)
        self.stdout.write(f"Add this key to {staff.email}'s authenticator app:")
        self.stdout.write(f"  {device.config_url}")
        # What authenticator apps take typed in: the key in base32, without padding.
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        self.stdout.write(f"  or type the key: {secret}")
        self.stdout.write("Code the app shows now: ", ending="")
        self.stdout.flush()
        code = stdin.readline().strip()
        if not code:
            raise CommandError("no code given; two-factor stays off")
        try:
            codes = two_factor_enable(tenant=None, user=staff, key=key, code=code)
        except AccountError as exc:
            raise CommandError(f"{exc}; two-factor stays off") from exc
        self.stdout.write(self.style.SUCCESS(f"Two-factor is on for {staff.email}."))
        self.stdout.write("Backup codes (each works once; shown only now):")
        for backup in codes:
            self.stdout.write(f"  {backup}")

    def _disable(self, staff: User) -> None:
        two_factor_remove(tenant=None, user=staff, actor=None)
        self.stdout.write(f"Two-factor is off for {staff.email}; the next sign-in needs none.")
