"""URLs of a store's host (``<slug>.PEEPERS_BASE_DOMAIN``)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from billing.urls import store_urlpatterns as billing_store_urls
from compliance.urls import store_urlpatterns as compliance_store_urls
from dashboard import views as dashboard_views
from integrations.mercadolivre.api import api_urlpatterns as ml_api_urls
from integrations.mercadolivre.urls import store_urlpatterns as ml_store_urls
from tenants import views as tenant_views
from tenants.api import TeamMemberViewSet

api = SimpleRouter(trailing_slash=True)
api.register("team", TeamMemberViewSet, basename="team")

urlpatterns = [
    path("", dashboard_views.overview, name="home"),
    path("welcome/<str:token>/", tenant_views.welcome, name="welcome"),
    path("legal/terms/", tenant_views.legal_terms, name="legal-terms"),
    path("legal/privacy/", tenant_views.legal_privacy, name="legal-privacy"),
    path("api/v1/", include(api.urls)),
    *ml_api_urls,
    path("", include("accounts.urls")),
    path("", include("api.urls")),
    path("", include("dashboard.urls")),
    *ml_store_urls,
    *billing_store_urls,
    *compliance_store_urls,
]
