"""URLs of the api app on a store's host: ``/api/v1/``, its schema and docs, and the tokens page."""

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api.views.items import ItemViewSet
from api.views.orders import OrderViewSet
from api.views.overview import OverviewView
from api.views.privacy import PrivacyRequestViewSet
from api.views.questions import QuestionViewSet
from api.views.subscription import SubscriptionView
from api.views.sync_runs import SyncRunViewSet
from api.views.token_pages import api_token_revoke_view, api_tokens
from api.views.webhook_events import WebhookEventViewSet
from tenants.api import TeamMemberViewSet

router = SimpleRouter(trailing_slash=True)
router.register("team", TeamMemberViewSet, basename="team")
router.register("items", ItemViewSet, basename="api-item")
router.register("orders", OrderViewSet, basename="api-order")
router.register("questions", QuestionViewSet, basename="api-question")
router.register("sync-runs", SyncRunViewSet, basename="api-sync-run")
router.register("webhook-events", WebhookEventViewSet, basename="api-webhook-event")
router.register("privacy-requests", PrivacyRequestViewSet, basename="api-privacy-request")

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", include(router.urls)),
    path("api/v1/subscription/", SubscriptionView.as_view(), name="api-subscription"),
    path("api/v1/overview/", OverviewView.as_view(), name="api-overview"),
    # The answer route predates the router; scripts call it without the trailing slash.
    re_path(
        r"^api/v1/questions/(?P<pk>[0-9]{1,18})/answer$",
        QuestionViewSet.as_view({"post": "answer"}),
        name="ml-question-answer",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("settings/api-tokens/", api_tokens, name="api-tokens"),
    path("settings/api-tokens/<int:pk>/revoke/", api_token_revoke_view, name="api-token-revoke"),
]
