"""Billing URLs: the store's billing pages, and the Stripe webhook on the public host."""

from django.urls import path

from billing import views
from billing.webhook import stripe_webhook

store_urlpatterns = [
    path("billing/", views.billing_page, name="billing"),
    path("billing/checkout", views.checkout_view, name="billing-checkout"),
    path("billing/success", views.checkout_success, name="billing-success"),
    path("billing/portal", views.portal_view, name="billing-portal"),
    path("billing/change/<slug:code>", views.plan_change_view, name="billing-change"),
]

public_urlpatterns = [
    path("api/webhook/stripe", stripe_webhook, name="stripe-webhook"),
]
