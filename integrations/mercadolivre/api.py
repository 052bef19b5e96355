"""Store API for Mercado Livre questions: ``POST /api/v1/questions/<id>/answer``.

Parse, authorize (the fail-closed ``StoreViewSet`` finds the question in this store or 404s),
call ``ml_question_answer``, render. Answering errors map to 400, a store that must reconnect
to 409, ML being unreachable to 503.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import re_path
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from integrations.mercadolivre.answers import (
    AnswerError,
    QuestionNotFound,
    ml_question_answer,
)
from integrations.mercadolivre.errors import (
    MLNotConnected,
    MLRateLimited,
    MLReconnectRequired,
    MLServerError,
    MLUnavailable,
)
from integrations.mercadolivre.models import MLQuestion
from tenants.api import StoreViewSet
from tenants.context import request_tenant


class QuestionSerializer(serializers.ModelSerializer[MLQuestion]):
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
        ]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer[None]):
    # Length and blankness are the service's rules (one place); here only the shape.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class QuestionViewSet(StoreViewSet[MLQuestion]):
    serializer_class = QuestionSerializer

    def scoped_queryset(self) -> QuerySet[MLQuestion]:
        return MLQuestion.objects.all()

    def answer(self, request: Request, pk: str) -> Response:
        question = self.get_object()
        payload = AnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            answered = ml_question_answer(
                tenant=request_tenant(request),
                question_id=question.pk,
                text=payload.validated_data["text"],
            )
        except QuestionNotFound as exc:
            return _error(status.HTTP_404_NOT_FOUND, exc.message, exc.code)
        except AnswerError as exc:
            return _error(status.HTTP_400_BAD_REQUEST, exc.message, exc.code)
        except (MLNotConnected, MLReconnectRequired):
            return _error(
                status.HTTP_409_CONFLICT,
                "The store's Mercado Livre account must be connected again before answering.",
                "reconnect_required",
            )
        except (MLUnavailable, MLRateLimited, MLServerError):
            return _error(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "Mercado Livre could not be reached; nothing was answered. Try again shortly.",
                "ml_unavailable",
            )
        return Response(QuestionSerializer(answered).data)


def _error(code: int, message: str, kind: str) -> Response:
    return Response({"detail": message, "code": kind}, status=code)


api_urlpatterns = [
    # With or without the trailing slash: clients of this one action are scripts and the UI.
    re_path(
        r"^api/v1/questions/(?P<pk>[0-9]+)/answer/?$",
        QuestionViewSet.as_view({"post": "answer"}),
        name="ml-question-answer",
    ),
]
