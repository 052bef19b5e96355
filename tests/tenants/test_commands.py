"""The runbook's commands: create_tenant, tenant_status and migrate_schemas."""

import io
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from integrations.models import MLConnection
from tenants.models import Tenant
from tests.support.processes import BASE_DIR, child_environment
from tests.support.state import database_state


def run(name, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


CREATE = [
    "--ml-user-id",
    "4242",
    "--email",
    "seller@example.com",
    "--plan",
    "pro",
    "--accept-terms",
]


@pytest.mark.django_db
def test_create_tenant_prints_the_uuid_and_is_idempotent():
    printed, _ = run("create_tenant", *CREATE, "--name", "Casa do Vendedor")
    tenant = Tenant.objects.get(public_id=uuid.UUID(printed))
    assert tenant.schema_name == "casa-do-vendedor"
    assert tenant.ml_user_id == 4242

    again, note = run("create_tenant", *CREATE, "--name", "Casa do Vendedor")
    assert again == printed
    assert "already exists" in note
    assert Tenant.objects.filter(ml_user_id=4242).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--ml-user-id", "1", "--email", "x@example.com", "--plan", "pro"], "--accept-terms"),
        (
            ["--ml-user-id", "1", "--email", "x@example.com", "--plan", "gold", "--accept-terms"],
            "--plan",
        ),
        (["--ml-user-id", "1", "--email", "nope", "--plan", "pro", "--accept-terms"], "--email"),
        ([*CREATE[:2], "--email", "x@example.com", *CREATE[4:], "--slug", "Bad;Slug"], "--slug"),
        ([*CREATE[:2], "--email", "x@example.com", *CREATE[4:], "--slug", "www"], "--slug"),
        ([*CREATE, "--slug", "tenant-a"], "--slug"),
        (
            ["--ml-user-id", "0", "--email", "x@example.com", "--plan", "pro", "--accept-terms"],
            "--ml-user-id",
        ),
    ],
)
def test_create_tenant_errors_name_the_flag_and_change_nothing(args, flag):
    before = database_state()
    with pytest.raises(CommandError) as raised:
        run("create_tenant", *args)
    assert str(raised.value).startswith(flag), str(raised.value)
    assert database_state() == before


@pytest.mark.django_db
def test_create_tenant_refuses_an_ml_user_of_another_store():
    run("create_tenant", *CREATE)
    with pytest.raises(CommandError, match=r"^--ml-user-id: .*another store"):
        run(
            "create_tenant",
            "--ml-user-id",
            "4242",
            "--email",
            "other@example.com",
            "--plan",
            "pro",
            "--accept-terms",
            "--slug",
            "other-store",
        )


@pytest.mark.django_db
def test_create_tenant_again_with_another_plan_is_a_conflict_naming_the_flag():
    printed, _ = run("create_tenant", *CREATE)
    before = database_state()

    with pytest.raises(CommandError, match=r"^--plan: .*on plan “pro”, not “starter”") as raised:
        run("create_tenant", *CREATE[:4], "--plan", "starter", "--accept-terms")

    assert raised.value.returncode == 1
    assert database_state() == before
    assert Tenant.objects.get(public_id=uuid.UUID(printed)).plan_code == "pro"


@pytest.mark.django_db
def test_create_tenant_again_with_an_unknown_plan_is_an_error():
    run("create_tenant", *CREATE)

    with pytest.raises(CommandError, match=r"^--plan: There is no plan “gold”") as raised:
        run("create_tenant", *CREATE[:4], "--plan", "gold", "--accept-terms")

    assert raised.value.returncode == 1


@pytest.mark.usefixtures("committed_db")
def test_create_tenant_from_the_shell_exits_1_on_error_and_prints_only_the_uuid_on_success():
    command = [sys.executable, "manage.py", "create_tenant", *CREATE]
    env = child_environment()

    ok = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert uuid.UUID(ok.stdout.strip())

    bad = subprocess.run(
        [*command[:3], "--ml-user-id", "9", "--email", "z@example.com", "--plan", "nope"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "--plan" in bad.stderr
    assert "--accept-terms" in bad.stderr
    assert bad.stdout == ""


@pytest.mark.django_db
def test_tenant_status_prints_one_json_document(tenant_a):
    printed, _ = run("tenant_status", "--tenant-id", str(tenant_a.public_id), "--json")
    document = json.loads(printed)

    assert document["tenant"]["id"] == str(tenant_a.public_id)
    assert document["tenant"]["slug"] == "tenant-a"
    assert document["tenant"]["domain"] == "tenant-a.localhost"
    assert document["status"] == "active"
    assert document["plan"] == {
        "code": "starter",
        "known": True,
        "name": "Starter",
        "monthly_price_cents": 4900,
        "currency": "BRL",
    }
    assert document["row_counts"]["users.User"] == 1


def two_accounts(tenant) -> None:
    """A main account, routed and synced once, and an outlet waiting for its seller to
    reconnect (and missing from the routing index)."""
    with tenant_context(tenant):
        main = MLAccount.objects.create(
            ml_user_id=5550101,
            nickname="LOJA_MATRIZ",
            connected_at=datetime(2026, 11, 1, 12, tzinfo=UTC),
            access_expires_at=datetime(2026, 12, 7, 6, tzinfo=UTC),
        )
    MLConnection.objects.create(
        ml_user_id=5550101, tenant=tenant, nickname="LOJA_MATRIZ", connected_at=main.connected_at
    )
    with tenant_context(tenant):
        MLAccount.objects.create(
            ml_user_id=5550102,
            nickname="LOJA_OUTLET",
            status=MLAccountStatus.NEEDS_RECONNECTION,
            connected_at=datetime(2026, 11, 2, 12, tzinfo=UTC),
        )
        for finished, status in ((1, SyncStatus.SUCCEEDED), (2, SyncStatus.FAILED)):
            SyncRun.objects.create(
                account=main,
                kind=SyncKind.INCREMENTAL,
                status=status,
                finished_at=datetime(2026, 12, finished, 9, tzinfo=UTC),
            )


@pytest.mark.django_db
def test_tenant_status_lists_every_ml_account_of_the_store(tenant_a):
    two_accounts(tenant_a)

    printed, _ = run("tenant_status", "--tenant-id", str(tenant_a.public_id), "--json")
    accounts = json.loads(printed)["ml_accounts"]

    assert [(a["ml_user_id"], a["nickname"], a["status"], a["connected_at"]) for a in accounts] == [
        (5550101, "LOJA_MATRIZ", "active", "2026-11-01T12:00:00+00:00"),
        (5550102, "LOJA_OUTLET", "needs_reconnection", "2026-11-02T12:00:00+00:00"),
    ]
    assert accounts[0]["last_successful_sync"] == {
        "kind": "incremental",
        "finished_at": "2026-12-01T09:00:00+00:00",
    }
    assert accounts[0]["token_expires_at"] == "2026-12-07T06:00:00+00:00"
    assert accounts[1]["last_successful_sync"] is None
    assert [a["routing"] for a in accounts] == ["active", None]
    assert "access_token" not in accounts[0]
    assert "refresh_token" not in accounts[0]


@pytest.mark.django_db
def test_tenant_status_text_names_each_account(tenant_a, tenant_b):
    two_accounts(tenant_a)

    printed, _ = run("tenant_status", "--tenant-id", str(tenant_a.public_id))
    lines = printed.splitlines()

    start = lines.index("ml_accounts: 2")
    assert lines[start + 1].startswith("  - ml_user_id: 5550101, nickname: LOJA_MATRIZ, ")
    assert "last_successful_sync: (kind: incremental, " in lines[start + 1]
    assert lines[start + 2].startswith("  - ml_user_id: 5550102, nickname: LOJA_OUTLET, ")
    other, _ = run("tenant_status", "--tenant-id", str(tenant_b.public_id))
    assert "ml_accounts: none" in other.splitlines()


@pytest.mark.django_db
@pytest.mark.parametrize("tenant_id", ["not-a-uuid", str(uuid.uuid4())])
def test_tenant_status_explains_a_bad_tenant_id(tenant_id):
    with pytest.raises(CommandError, match=r"^--tenant-id: "):
        run("tenant_status", "--tenant-id", tenant_id, "--json")


@pytest.mark.usefixtures("committed_db")
def test_migrate_schemas_skips_up_to_date_schemas_and_applies_what_is_missing():
    call_command("migrate_schemas", check_unapplied=True)  # nothing pending: no error
    with connection.cursor() as cursor:
        # The newest billing migration: deleting an older one would leave its children
        # applied before their dependency, which Django refuses to load.
        cursor.execute(
            'DELETE FROM "tenant-b".django_migrations WHERE id = (SELECT id FROM '
            '"tenant-b".django_migrations WHERE app = %s ORDER BY name DESC LIMIT 1)',
            ["billing"],
        )
    with pytest.raises(CommandError, match="tenant-b"):
        call_command("migrate_schemas", check_unapplied=True)

    printed, _ = run("migrate_schemas", "--noinput")

    assert "2 of 3 tenant schemas up to date; migrating 1." in printed
    call_command("migrate_schemas", check_unapplied=True)
