"""URLs of the dashboard app on a store's host."""

from django.urls import URLPattern, URLResolver, include, path

from dashboard import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("products/", views.products, name="dashboard-products"),
    path("products/<str:item_id>/", views.product_detail, name="dashboard-product"),
    path("orders/", views.orders, name="dashboard-orders"),
    path("orders/export.csv", views.orders_export, name="dashboard-orders-export"),
    path("orders/<int:order_id>/", views.order_detail, name="dashboard-order"),
    path("questions/", views.questions, name="dashboard-questions"),
    path("questions/<int:question_id>/answer", views.question_answer, name="dashboard-answer"),
    path("sync/", views.sync, name="dashboard-sync"),
    path("sync/progress", views.sync_progress, name="dashboard-sync-progress"),
    path("sync/now", views.sync_now, name="dashboard-sync-now"),
]
