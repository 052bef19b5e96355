"""``/api/v1/privacy-requests/``: data-subject requests (LGPD) about the store's users.

Owners and admins see every request of the store; other users see their own. A user asks for
an export of their data (answered at once, with a download link) or for its deletion (staff
carry it out by the legal due date), through the privacy center's services. Never refused for
billing reasons: data-subject rights do not depend on paying.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import StoreReadViewSet
from api.filtering import django_filters
from compliance.consent.privacy_center import privacy_erasure_request, privacy_export
from compliance.dsr.requests import dsr_clock
from compliance.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestStatus,
)
from tenants.context import request_tenant
from users.models import User
from users.policy import may_manage

EXPORT = "export"
ERASURE = "erasure"


class PrivacyRequestSerializer(serializers.ModelSerializer[DataSubjectRequest]):
    due_on = serializers.SerializerMethodField(
        help_text="The last day of the legal term, in the store's calendar (America/Sao_Paulo)."
    )
    days_left = serializers.SerializerMethodField(
        help_text="Days to due_on: 15 on the day of receipt, 0 on the last day, negative once "
        "overdue; null once the request is closed."
    )

    @extend_schema_field(OpenApiTypes.DATE)
    def get_due_on(self, obj: DataSubjectRequest) -> date:
        return dsr_clock(request=obj).due_on

    @extend_schema_field(OpenApiTypes.INT)
    def get_days_left(self, obj: DataSubjectRequest) -> int | None:
        if obj.status not in OPEN_STATUSES:
            return None
        return dsr_clock(request=obj).days_left

    class Meta:
        model = DataSubjectRequest
        fields = [
            "id",
            "kind",
            "scope",
            "status",
            "identity",
            "subject_email",
            "subject_ml_user_id",
            "channel",
            "received_at",
            "due_at",
            "due_on",
            "days_left",
            "completed_at",
        ]
        read_only_fields = fields


class PrivacyRequestCreate(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=[(EXPORT, "Export my data"), (ERASURE, "Delete my data")]
    )


class PrivacyRequestCreated(serializers.Serializer[Any]):
    request = PrivacyRequestSerializer()
    download_url = serializers.URLField(
        allow_null=True, help_text="Exports only: a signed, expiring link to the file."
    )


class PrivacyRequestFilter(django_filters.FilterSet):  # type: ignore[misc]
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices)
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)

    class Meta:
        model = DataSubjectRequest
        fields: ClassVar[list[str]] = []


@extend_schema_view(
    list=extend_schema(summary="List privacy requests", tags=["privacy"]),
    retrieve=extend_schema(summary="One privacy request", tags=["privacy"]),
)
class PrivacyRequestViewSet(StoreReadViewSet[DataSubjectRequest]):
    # For the schema generator only; requests are served by scoped_queryset().
    queryset = DataSubjectRequest.objects.none()
    serializer_class = PrivacyRequestSerializer
    filterset_class = PrivacyRequestFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields: ClassVar[dict[str, str]] = {
        "received_at": "received_at",
        "due_at": "due_at",
    }
    default_ordering = "-received_at"
    subject_rights = True

    def scoped_queryset(self) -> QuerySet[DataSubjectRequest]:
        user: User = self.request.user  # type: ignore[assignment]
        found = DataSubjectRequest.objects.filter(
            tenant=request_tenant(self.request)
        ).select_related("tenant")
        if may_manage(user=user):
            return found
        return found.filter(scope=RequestScope.SELLER_USER, subject_email=user.email.lower())

    @extend_schema(
        summary="Ask for an export or the deletion of my data",
        request=PrivacyRequestCreate,
        responses={201: PrivacyRequestCreated},
        tags=["privacy"],
    )
    def create(self, request: Request) -> Response:
        payload = PrivacyRequestCreate(data=request.data)
        payload.is_valid(raise_exception=True)
        tenant = request_tenant(request)
        user: User = request.user  # type: ignore[assignment]
        download_url = None
        if payload.validated_data["kind"] == EXPORT:
            ready = privacy_export(tenant=tenant, user=user, request=request._request)
            found = ready.request
            download_url = request.build_absolute_uri(
                reverse("privacy-export-download", args=[ready.token])
            )
        else:
            found = privacy_erasure_request(tenant=tenant, user=user, request=request._request)
        body = PrivacyRequestCreated({"request": found, "download_url": download_url})
        return Response(body.data, status=status.HTTP_201_CREATED)
