from django.urls import path

from orders.urls import imports as import_urls
from orders.urls import quotations as quotation_urls
from orders.views import approvals as approval_views
from orders.views import catalog as catalog_views
from orders.views import documents as document_views
from orders.views import lists as list_views
from orders.views import orders as order_views

app_name = "orders"

urlpatterns = [
    path("", list_views.order_list, name="list"),
    path("new/", order_views.order_create, name="create"),
    path("line-row/", order_views.line_row, name="line_row"),
    path("totals/", order_views.totals, name="totals"),
    path("customer-search/", order_views.customer_search, name="customer_search"),
    path("product-search/", catalog_views.product_search, name="product_search"),
    path("customer-quick-create/", order_views.customer_quick_create, name="customer_quick_create"),
    path("approvals/", approval_views.approval_inbox, name="approvals"),
    path("<int:pk>/", order_views.order_detail, name="detail"),
    path("<int:pk>/approve/", approval_views.order_approve, name="approve"),
    path("<int:pk>/return/", approval_views.order_return, name="return"),
    path("<int:pk>/credit-release/", approval_views.order_credit_release, name="credit_release"),
    path("<int:pk>/cancel-request/", approval_views.order_cancel_request, name="cancel_request"),
    path("<int:pk>/discard/", approval_views.order_discard, name="discard"),
    path("<int:pk>/cancel-decide/", approval_views.order_cancel_decide, name="cancel_decide"),
    path("<int:pk>/change/", approval_views.order_change, name="change"),
    path(
        "<int:pk>/changes/<int:change_pk>/decide/",
        approval_views.order_change_decide,
        name="change_decide",
    ),
    path("<int:pk>/edit/", order_views.order_edit, name="edit"),
    path("<int:pk>/submit/", order_views.order_submit, name="submit"),
    path("<int:pk>/request-info/", order_views.order_request_info, name="request_info"),
    path("<int:pk>/log-contact/", order_views.order_log_contact, name="log_contact"),
    path("<int:pk>/resubmit/", order_views.order_resubmit, name="resubmit"),
    path("<int:pk>/reject/", order_views.order_reject, name="reject"),
    path("<int:pk>/pass-review/", order_views.order_pass_review, name="pass_review"),
    path("<int:pk>/attachments/", order_views.attachment_upload, name="attachment_upload"),
    path(
        "<int:pk>/attachments/<int:att_pk>/",
        order_views.attachment_download,
        name="attachment_download",
    ),
    path("<int:pk>/review-form/", document_views.review_form, name="review_form"),
    path("<int:pk>/review-form.pdf", document_views.review_form_pdf, name="review_form_pdf"),
    path("<int:pk>/confirmation/", document_views.confirmation, name="confirmation"),
    path("<int:pk>/confirmation.pdf", document_views.confirmation_pdf, name="confirmation_pdf"),
    path("<int:pk>/transfer/", document_views.transfer, name="transfer"),
    path("<int:pk>/transfer.pdf", document_views.transfer_pdf, name="transfer_pdf"),
]

# Spreadsheet import and exports, quotations and the order → contract link.
urlpatterns += import_urls.urlpatterns
urlpatterns += quotation_urls.urlpatterns
