"""The team page: invitations by e-mail, roles, removal, and who may do what."""

import re

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.errors import LastOwner, NotAllowed
from accounts.services import member_remove, member_role_set
from compliance.audit.models import AuditAction, AuditEvent
from tests.accounts.conftest import PASSWORD, logged_in, login, user_create
from tests.support.clients import owner_of, store_client
from tests.support.db import OWNER_PASSWORD
from users.models import Role, User


def owner_client(tenant):
    return logged_in(tenant, tenant.owner_email, OWNER_PASSWORD)


def user_in(tenant, email):
    with tenant_context(tenant):
        return User.objects.filter(email=email).first()


def invite(client, email, role="member", capture=None):
    if capture is None:
        return client.post("/team/invite/", {"email": email, "role": role})
    with capture(execute=True):
        return client.post("/team/invite/", {"email": email, "role": role})


def invitation_path(message, host):
    match = re.search(rf"https?://{re.escape(host)}(?::\d+)?(/invite/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_an_invitation_creates_an_inactive_user_and_mails_a_link_on_the_store_host(
    tenant_a, django_capture_on_commit_callbacks
):
    client = owner_client(tenant_a)

    response = invite(client, "New@A.example.com", "admin", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    invited = user_in(tenant_a, "new@a.example.com")
    assert (invited.is_active, invited.role, invited.has_usable_password()) == (
        False,
        Role.ADMIN,
        False,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@a.example.com"]
    invitation_path(mail.outbox[0], "tenant-a.localhost")
    page = client.get("/team/").content.decode()
    assert "new@a.example.com" in page
    assert "Invited" in page
    event = AuditEvent.objects.get(details__operation="invited")
    assert (event.action, event.actor_email, event.tenant, event.details["changes"]) == (
        AuditAction.ADMIN_PERMISSION_CHANGE,
        tenant_a.owner_email,
        tenant_a,
        {"role": {"old": None, "new": "admin"}},
    )


def test_the_invited_person_sets_a_password_and_is_logged_in_once(
    tenant_a, django_capture_on_commit_callbacks
):
    invite(owner_client(tenant_a), "new@a.example.com", capture=django_capture_on_commit_callbacks)
    path = invitation_path(mail.outbox[0], "tenant-a.localhost")
    client = store_client(tenant_a)

    assert client.get(path).status_code == 200
    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 302
    assert client.get("/settings/").status_code == 200
    assert user_in(tenant_a, "new@a.example.com").is_active
    assert store_client(tenant_a).get(path).status_code == 404
    assert login(store_client(tenant_a), "new@a.example.com").status_code == 302
    assert AuditEvent.objects.filter(details__operation="joined").count() == 1


def test_an_invitation_link_does_not_work_on_another_stores_host(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    invite(owner_client(tenant_a), "new@a.example.com", capture=django_capture_on_commit_callbacks)
    path = invitation_path(mail.outbox[0], "tenant-a.localhost")

    assert store_client(tenant_b).get(path).status_code == 404


def test_inviting_a_member_again_is_refused_next_to_the_e_mail(tenant_a):
    user_create(tenant_a, "ana@a.example.com")

    response = invite(owner_client(tenant_a), "ana@a.example.com")

    assert response.status_code == 400
    html = response.content.decode()
    assert html.index('id="id_email"') < html.index('id="id_email_error"')
    assert "already on the team" in html


def test_an_invalid_e_mail_is_shown_next_to_its_field(tenant_a):
    response = invite(owner_client(tenant_a), "not-an-address")

    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode()


def test_a_member_cannot_invite(tenant_a):
    user_create(tenant_a, "ana@a.example.com")
    client = logged_in(tenant_a, "ana@a.example.com")

    assert invite(client, "x@a.example.com").status_code == 403
    assert user_in(tenant_a, "x@a.example.com") is None
    assert 'action="/team/invite/"' not in client.get("/team/").content.decode()


def test_a_member_cannot_raise_their_own_role(tenant_a):
    member = user_create(tenant_a, "ana@a.example.com")
    client = logged_in(tenant_a, member.email)

    for role in ("admin", "owner"):
        response = client.post(f"/team/{member.pk}/role/", {"role": role})
        assert response.status_code == 403
    assert user_in(tenant_a, member.email).role == Role.MEMBER
    assert not AuditEvent.objects.filter(details__operation="role_changed").exists()


def test_an_admin_cannot_grant_the_owner_role(tenant_a):
    admin = user_create(tenant_a, "adm@a.example.com", role=Role.ADMIN)
    member = user_create(tenant_a, "ana@a.example.com")
    client = logged_in(tenant_a, admin.email)

    response = client.post(f"/team/{member.pk}/role/", {"role": "owner"})

    assert response.status_code == 403
    assert "Only an owner" in response.content.decode()
    assert invite(client, "x@a.example.com", "owner").status_code == 400  # not offered
    assert client.post(f"/team/{member.pk}/role/", {"role": "admin"}).status_code == 302


def test_an_owner_changes_a_role_and_it_is_audited(tenant_a):
    member = user_create(tenant_a, "ana@a.example.com")

    response = owner_client(tenant_a).post(f"/team/{member.pk}/role/", {"role": "admin"})

    assert response.status_code == 302
    assert user_in(tenant_a, member.email).role == Role.ADMIN
    event = AuditEvent.objects.get(details__operation="role_changed")
    assert event.details["changes"] == {"role": {"old": "member", "new": "admin"}}
    assert event.object_id == str(member.pk)


def test_the_last_owner_cannot_be_demoted_or_removed(tenant_a):
    owner = owner_of(tenant_a)
    client = owner_client(tenant_a)

    demote = client.post(f"/team/{owner.pk}/role/", {"role": "admin"})
    remove = client.post(f"/team/{owner.pk}/remove/")

    for response in (demote, remove):
        assert response.status_code == 400
        html = response.content.decode()
        assert "at least one owner" in html
        assert f'id="errors-{owner.pk}"' in html
    assert user_in(tenant_a, owner.email).role == Role.OWNER
    assert user_in(tenant_a, owner.email).is_active


def test_an_owner_can_step_down_when_another_owner_exists(tenant_a):
    owner = owner_of(tenant_a)
    user_create(tenant_a, "co@a.example.com", role=Role.OWNER)

    response = owner_client(tenant_a).post(f"/team/{owner.pk}/role/", {"role": "admin"})

    assert response.status_code == 302
    assert user_in(tenant_a, owner.email).role == Role.ADMIN


def test_the_service_refuses_the_last_owner_for_every_caller(tenant_a):
    with tenant_context(tenant_a):
        owner = User.objects.get(email=tenant_a.owner_email)
        with pytest.raises(LastOwner):
            member_role_set(tenant=tenant_a, actor=owner, member=owner, role=Role.MEMBER)
        with pytest.raises(LastOwner):
            member_remove(tenant=tenant_a, actor=owner, member=owner)
        member = User.objects.create_user("m@a.example.com", PASSWORD)
        with pytest.raises(NotAllowed):
            member_role_set(tenant=tenant_a, actor=member, member=member, role=Role.OWNER)


def test_a_removed_member_can_no_longer_log_in_and_their_session_ends(tenant_a):
    member = user_create(tenant_a, "ana@a.example.com")
    their_session = logged_in(tenant_a, member.email)

    response = owner_client(tenant_a).post(f"/team/{member.pk}/remove/")

    assert response.status_code == 302
    assert their_session.get("/settings/").status_code == 302
    assert login(store_client(tenant_a), member.email).status_code == 200
    assert f'id="member-{member.pk}"' not in owner_client(tenant_a).get("/team/").content.decode()
    event = AuditEvent.objects.get(details__operation="removed")
    assert event.details["changes"] == {"is_active": {"old": True, "new": False}}


def test_an_admin_cannot_remove_an_owner(tenant_a):
    admin = user_create(tenant_a, "adm@a.example.com", role=Role.ADMIN)
    owner = owner_of(tenant_a)

    response = logged_in(tenant_a, admin.email).post(f"/team/{owner.pk}/remove/")

    assert response.status_code == 403
    assert user_in(tenant_a, owner.email).is_active


def test_a_member_cannot_remove_anyone(tenant_a):
    user_create(tenant_a, "ana@a.example.com")
    other = user_create(tenant_a, "bia@a.example.com")

    response = logged_in(tenant_a, "ana@a.example.com").post(f"/team/{other.pk}/remove/")

    assert response.status_code == 403
    assert user_in(tenant_a, other.email).is_active


def test_a_withdrawn_invitation_link_stops_working(tenant_a, django_capture_on_commit_callbacks):
    client = owner_client(tenant_a)
    invite(client, "new@a.example.com", capture=django_capture_on_commit_callbacks)
    path = invitation_path(mail.outbox[0], "tenant-a.localhost")
    invited = user_in(tenant_a, "new@a.example.com")

    assert client.post(f"/team/{invited.pk}/remove/").status_code == 302

    assert store_client(tenant_a).get(path).status_code == 404
    assert f'id="member-{invited.pk}"' not in client.get("/team/").content.decode()


def test_inviting_again_replaces_the_earlier_link(tenant_a, django_capture_on_commit_callbacks):
    client = owner_client(tenant_a)
    invite(client, "new@a.example.com", capture=django_capture_on_commit_callbacks)
    first = invitation_path(mail.outbox[0], "tenant-a.localhost")
    invite(client, "new@a.example.com", capture=django_capture_on_commit_callbacks)
    second = invitation_path(mail.outbox[1], "tenant-a.localhost")

    assert store_client(tenant_a).get(first).status_code == 404
    assert store_client(tenant_a).get(second).status_code == 200


def test_another_stores_member_is_not_found_here(tenant_a, tenant_b):
    other = user_create(tenant_b, "zed@b.example.com")
    user_create(tenant_a, "ana@a.example.com")  # takes pks in tenant-a too

    client = owner_client(tenant_a)
    response = client.post(f"/team/{other.pk + 1000}/remove/")

    assert response.status_code == 404
    assert user_in(tenant_b, other.email).is_active
