"""``/api/v1/questions/``: buyers' questions, and answering one on Mercado Livre.

Answering maps the service's outcomes once: invalid text 400, already answered or a store that
must reconnect 409, refused by ML 422, ML rate limiting 503 with Retry-After, ML failing or
unreachable 502.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.accounts import AccountField, AccountFilter
from api.base import StoreReadViewSet
from api.errors import BadGateway, BadRequest, Conflict, Unprocessable, UpstreamUnavailable
from api.filtering import django_filters
from integrations.mercadolivre.accounts import MLAccountPaused
from integrations.mercadolivre.answers import (
    ANSWER_MAX_CHARS,
    ANSWERED,
    UNANSWERED,
    AnswerBusy,
    AnswerInvalid,
    AnswerRejected,
    QuestionAlreadyAnswered,
    QuestionNotFound,
    ml_question_answer,
)
from integrations.mercadolivre.errors import (
    MLError,
    MLNotConnected,
    MLRateLimited,
    MLReconnectRequired,
)
from integrations.mercadolivre.models import MLQuestion
from tenants.context import request_tenant


class QuestionSerializer(serializers.ModelSerializer[MLQuestion]):
    account = AccountField()

    class Meta:
        model = MLQuestion
        fields = [
            "id",
            "item_id",
            "text",
            "status",
            "date_created",
            "last_updated",
            "from_id",
            "answer_text",
            "answer_status",
            "answer_date",
            "account",
        ]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer[Any]):
    # Bounds the body only: blankness and the 2,000 characters after trimming are the
    # service's rules (answer_text_clean), answered as 400 answer_invalid.
    text = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=ANSWER_MAX_CHARS * 4
    )


class QuestionFilter(django_filters.FilterSet):  # type: ignore[misc]
    answered = django_filters.BooleanFilter(
        method="filter_answered", help_text="true: answered; false: waiting for an answer."
    )
    status = django_filters.CharFilter(field_name="status", help_text="ML status.")
    item_id = django_filters.CharFilter(field_name="item_id")
    account = AccountFilter()

    class Meta:
        model = MLQuestion
        fields: ClassVar[list[str]] = []

    def filter_answered(
        self, queryset: QuerySet[MLQuestion], name: str, value: bool | None
    ) -> QuerySet[MLQuestion]:
        if value is None:
            return queryset
        return queryset.filter(status=ANSWERED if value else UNANSWERED)


@extend_schema_view(
    list=extend_schema(summary="List questions", tags=["questions"]),
    retrieve=extend_schema(summary="One question", tags=["questions"]),
)
class QuestionViewSet(StoreReadViewSet[MLQuestion]):
    # For the schema generator only; requests are served by scoped_queryset().
    queryset = MLQuestion.objects.none()
    serializer_class = QuestionSerializer
    filterset_class = QuestionFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields: ClassVar[dict[str, str]] = {
        "date_created": "date_created",
        "last_updated": "last_updated",
    }
    default_ordering = "-date_created"

    def scoped_queryset(self) -> QuerySet[MLQuestion]:
        return MLQuestion.objects.defer("raw")

    @extend_schema(
        summary="Answer a question on Mercado Livre",
        request=AnswerSerializer,
        responses={200: QuestionSerializer},
        tags=["questions"],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def answer(self, request: Request, pk: str | None = None) -> Response:
        question = self.get_object()
        payload = AnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            answered = ml_question_answer(
                tenant=request_tenant(request),
                question_id=question.pk,
                text=payload.validated_data["text"],
            )
        except AnswerInvalid as exc:
            raise BadRequest(exc.message, code=exc.code) from exc
        except QuestionNotFound as exc:
            raise NotFound(exc.message) from exc
        except QuestionAlreadyAnswered as exc:
            raise Conflict(
                exc.message,
                code=exc.code,
                details={"question": QuestionSerializer(exc.question).data},
            ) from exc
        except AnswerRejected as exc:
            raise Unprocessable(exc.message, code=exc.code) from exc
        except AnswerBusy as exc:
            raise Conflict(exc.message, code=exc.code) from exc
        except MLAccountPaused as exc:
            raise Conflict(exc.message, code="account_paused") from exc
        except (MLNotConnected, MLReconnectRequired) as exc:
            raise Conflict(
                "The store's Mercado Livre account must be connected again before answering.",
                code="reconnect_required",
            ) from exc
        except MLRateLimited as exc:
            raise UpstreamUnavailable(
                "Mercado Livre is limiting requests; nothing was answered. Try again shortly.",
                code="ml_rate_limited",
                retry_after=int(exc.retry_after) + 1 if exc.retry_after else 60,
            ) from exc
        except MLError as exc:
            raise BadGateway(
                "Mercado Livre could not be reached or failed; nothing was answered. "
                "Try again shortly.",
                code="ml_unavailable",
                details={"ml_status": exc.status} if exc.status else {},
            ) from exc
        return Response(QuestionSerializer(answered).data)
