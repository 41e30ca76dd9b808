from django.urls import path

from orders import document_views, list_views, order_views

app_name = "orders"

urlpatterns = [
    path("", list_views.order_list, name="list"),
    path("new/", order_views.order_create, name="create"),
    path("line-row/", order_views.line_row, name="line_row"),
    path("totals/", order_views.totals, name="totals"),
    path("customer-search/", order_views.customer_search, name="customer_search"),
    path("customer-quick-create/", order_views.customer_quick_create, name="customer_quick_create"),
    path("<int:pk>/", order_views.order_detail, name="detail"),
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
]
