from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Order Portal administration")
admin.site.site_title = _("Order Portal")

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("customers/", include("customers.urls")),
    path("catalog/", include("orders.urls.catalog")),
    path("orders/", include("orders.urls.orders")),
    path("fulfillment/", include("fulfillment.urls")),
    path("reports/", include("reports.urls")),
    path("contracts/", include("contracts.urls")),
    path("archive/", include("archive.document_urls")),
    path("aftersales/", include("aftersales.urls")),
    path("finance/", include("finance.urls")),
    path("c/", include("customer_portal.urls")),
    path("insights/", include("insights.urls")),
    path("api/", include("api.urls")),
    # The data administrator's webhook log (api/webhooks/views.py), outside the API's keys.
    path("integrations/", include("api.webhooks.urls")),
    path("", include("core.urls")),
]
