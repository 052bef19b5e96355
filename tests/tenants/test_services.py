import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation
from django_tenants.utils import tenant_context

from tenants.errors import MLUserIdTaken, TenantInvalid, TenantPlanConflict
from tenants.models import SignupAgreement, Tenant, TenantStatus
from tenants.services import tenant_create, tenant_set_status
from tests.support.state import database_state
from users.models import Role, User

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Loja Nova",
    "slug": "loja-nova",
    "owner_email": "Dona@Loja.example.com",
    "owner_password": "a-long-enough-password-9",
    "plan_code": "pro",
    "terms_accepted": True,
    "channel": "signup",
}


def create(**overrides):
    return tenant_create(**{**GOOD, **overrides})


def test_creates_tenant_domain_schema_owner_and_agreement():
    result = create(ip_address="203.0.113.9", user_agent="pytest")

    tenant = result.tenant
    assert result.created
    assert tenant.schema_name == tenant.slug == "loja-nova"
    assert tenant.status == TenantStatus.ACTIVE
    assert tenant.owner_email == "dona@loja.example.com"
    assert tenant.get_primary_domain().domain == f"loja-nova.{settings.PEEPERS_BASE_DOMAIN}"
    assert "loja-nova" in database_state()["schemas"]
    with tenant_context(tenant):
        owner = User.objects.get()
        assert owner.email == "dona@loja.example.com"
        assert owner.role == Role.OWNER
        assert owner.check_password(GOOD["owner_password"])
    agreement = SignupAgreement.objects.get(tenant=tenant)
    assert agreement.terms_version == settings.PEEPERS_TERMS_VERSION
    assert agreement.privacy_notice_version == settings.PEEPERS_PRIVACY_NOTICE_VERSION
    assert agreement.ip_address == "203.0.113.9"
    assert agreement.channel == "signup"
    assert agreement.accepted_at is not None


def test_cloned_schema_has_every_migration_and_no_rows_from_other_stores(tenant_a):
    result = create()
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "loja-nova".django_migrations')
        cloned = cursor.fetchone()[0]
        cursor.execute('SELECT count(*) FROM "tenant-a".django_migrations')
        assert cloned == cursor.fetchone()[0] > 0
    with tenant_context(result.tenant):
        assert list(User.objects.values_list("email", flat=True)) == ["dona@loja.example.com"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "tenant-a"}, "slug"),
        ({"slug": "TENANT-A"}, "slug"),
        ({"owner_email": "OWNER@a.example.com"}, "email"),
        ({"slug": "www"}, "slug"),
        ({"slug": "admin"}, "slug"),
        ({"slug": "api"}, "slug"),
        ({"slug": "app"}, "slug"),
        ({"slug": "public"}, "slug"),
        ({"slug": "static"}, "slug"),
        ({"slug": "pg_toast"}, "slug"),
        ({"slug": "LojaNova"}, "slug"),
        ({"slug": "loja-nová"}, "slug"),
        ({"slug": "loja nova"}, "slug"),
        ({"slug": "loja'nova"}, "slug"),
        ({"slug": 'loja"nova'}, "slug"),
        ({"slug": "loja;nova"}, "slug"),
        ({"slug": "l" * 64}, "slug"),
        ({"slug": ""}, "slug"),
        ({"plan_code": ""}, "plan"),
        ({"plan_code": "platinum"}, "plan"),
        ({"terms_accepted": False}, "accept_terms"),
        ({"owner_email": "not-an-email"}, "email"),
        ({"owner_password": "123"}, "password"),
        ({"name": "   "}, "name"),
        ({"ml_user_id": -5}, "ml_user_id"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(overrides, field):
    before = database_state()

    with pytest.raises(TenantInvalid) as raised:
        create(**overrides)

    assert field in raised.value.errors, raised.value.errors
    assert all(raised.value.errors[field])
    assert database_state() == before


def test_same_ml_user_and_email_returns_the_existing_store():
    first = create(ml_user_id=777, owner_password=None, channel="command")
    again = create(ml_user_id=777, owner_password=None, channel="command", slug="other-slug")

    assert first.created
    assert not again.created
    assert again.tenant.pk == first.tenant.pk
    assert Tenant.objects.filter(ml_user_id=777).count() == 1


def test_ml_user_of_another_store_is_refused():
    create(ml_user_id=778)
    before = database_state()

    with pytest.raises(MLUserIdTaken) as raised:
        create(ml_user_id=778, owner_email="someone-else@example.com", slug="second-store")

    assert raised.value.field == "ml_user_id"
    assert database_state() == before


def test_same_ml_user_and_email_with_another_plan_is_a_conflict():
    create(ml_user_id=779, owner_password=None, channel="command")
    before = database_state()

    with pytest.raises(TenantPlanConflict) as raised:
        create(ml_user_id=779, owner_password=None, channel="command", plan_code="starter")

    assert raised.value.field == "plan"
    assert database_state() == before


def test_a_slug_naming_a_schema_that_is_not_a_store_is_refused():
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "restore_scratch"')
    before = database_state()

    with pytest.raises(TenantInvalid) as raised, translation.override("en"):
        create(slug="restore-scratch")

    assert raised.value.errors["slug"] == ["“restore-scratch” is reserved; choose another address."]
    assert database_state() == before


def test_owner_created_by_command_has_no_usable_password():
    result = create(owner_password=None, channel="command")
    with tenant_context(result.tenant):
        assert not User.objects.get().has_usable_password()


def test_status_changes_are_recorded(tenant_a):
    tenant_set_status(tenant=tenant_a, status=TenantStatus.SUSPENDED)
    assert Tenant.objects.get(pk=tenant_a.pk).status == TenantStatus.SUSPENDED
    tenant_set_status(tenant=tenant_a, status=TenantStatus.ACTIVE)
    assert Tenant.objects.get(pk=tenant_a.pk).status == TenantStatus.ACTIVE
