"""URLs of a store's host (``<slug>.PEEPERS_BASE_DOMAIN``)."""

from django.urls import include, path

from billing.urls import store_urlpatterns as billing_store_urls
from compliance.urls import store_urlpatterns as compliance_store_urls
from dashboard import views as dashboard_views
from integrations.mercadolivre.urls import store_urlpatterns as ml_store_urls
from tenants import views as tenant_views

urlpatterns = [
    path("", dashboard_views.overview, name="home"),
    path("welcome/<str:token>/", tenant_views.welcome, name="welcome"),
    path("legal/terms/", tenant_views.legal_terms, name="legal-terms"),
    path("legal/privacy/", tenant_views.legal_privacy, name="legal-privacy"),
    path("", include("accounts.urls")),
    path("", include("api.urls")),
    path("", include("dashboard.urls")),
    *ml_store_urls,
    *billing_store_urls,
    *compliance_store_urls,
]

# JSON for unrouted or failed /api/ requests; Django's own pages everywhere else.
handler404 = "api.error_handlers.page_not_found"
handler500 = "api.error_handlers.server_error"
