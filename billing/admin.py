from django.contrib import admin

from billing.models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = ["code", "name", "monthly_price_cents", "currency", "trial_days", "is_public"]
    list_editable = ["is_public"]
    ordering = ["sort_order"]
