"""Routes of the spreadsheet import and exports, under the "orders" namespace.

orders/urls/orders.py appends these.
"""

from django.urls import path

from orders.views import imports as import_views

urlpatterns = [
    path("import/", import_views.import_start, name="import"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("import/<int:pk>/run/", import_views.import_run, name="import_run"),
    path("export/", import_views.order_export, name="export"),
    path("export/customers/", import_views.customer_export, name="export_customers"),
    path("export/products/", import_views.product_export, name="export_products"),
]
