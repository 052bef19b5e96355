"""URLs of the public host (``PEEPERS_BASE_DOMAIN``): onboarding, staff admin, health, webhooks."""

from django.contrib import admin
from django.urls import include, path

from accounts import staff_password
from accounts.staff_login import StaffAuthenticationForm
from billing.urls import public_urlpatterns as billing_public_urls
from compliance.retention.urls import public_urlpatterns as retention_public_urls
from integrations.mercadolivre.urls import public_urlpatterns as ml_public_urls
from operations.prometheus import metrics_view
from peepers.health import health, ping
from tenants import views as tenant_views

# Staff sign in with a two-factor code where they have one (required in production).
admin.site.login_form = StaffAuthenticationForm
admin.site.login_template = "admin/staff_login.html"

urlpatterns = [
    path("", tenant_views.landing, name="landing"),
    path("signup/", tenant_views.signup, name="signup"),
    path("legal/terms/", tenant_views.legal_terms, name="legal-terms"),
    path("legal/privacy/", tenant_views.legal_privacy, name="legal-privacy"),
    path("api/health", health, name="health"),
    path("api/ping", ping, name="ping"),
    *staff_password.urlpatterns,
    path("admin/", admin.site.urls),
    # The language switch (Django's set_language), as on the stores' hosts.
    path("i18n/", include("django.conf.urls.i18n")),
    path("metrics", metrics_view, name="metrics"),
    *ml_public_urls,
    *billing_public_urls,
    *retention_public_urls,
]
