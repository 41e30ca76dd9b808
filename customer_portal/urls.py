"""The customer's pages (/c/<token>/…, no login: the token is the credential,
customer_portal/access.py) and the staff's link buttons on the order page (/c/staff/…)."""

from django.urls import path

from customer_portal.views import orders as views
from customer_portal.views import receipts, requests, surveys

app_name = "customer_portal"

urlpatterns: list = [
    # Staff (login required, like every internal page).
    path("staff/orders/<int:pk>/send/", views.link_send, name="link_send"),
    path("staff/links/<int:pk>/revoke/", views.link_revoke, name="link_revoke"),
    path(
        "staff/confirmations/<int:pk>/signature.png",
        views.signature_image,
        name="signature_image",
    ),
    # The customer.
    path("<str:token>/", views.track, name="track"),
    path("<str:token>/status/", views.status_fragment, name="status"),
    path("<str:token>/confirm/", views.confirm, name="confirm"),
    path("<str:token>/change/", views.request_change, name="change"),
    path("<str:token>/risk/", views.risk, name="risk"),
    # Electronic delivery receipt, survey, after-sales requests.
    path("<str:token>/receipt/", receipts.receipt, name="receipt"),
    path("<str:token>/receipt.pdf", receipts.receipt_pdf, name="receipt_pdf"),
    path("<str:token>/survey/", surveys.survey, name="survey"),
    path("<str:token>/requests/", requests.requests, name="requests"),
    path("<str:token>/requests/<int:pk>/", requests.request_detail, name="request_detail"),
]
