from django.urls import path

from aftersales import views

app_name = "aftersales"

urlpatterns = [
    path("account/", views.account_work, name="account_work"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("orders/<int:pk>/", views.order_page, name="order"),
    path("orders/<int:pk>/accept/", views.record_acceptance, name="record_acceptance"),
    path("orders/<int:pk>/visit/", views.log_visit, name="log_visit"),
    path("orders/<int:pk>/complaint/", views.open_complaint, name="open_complaint"),
    path("orders/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("orders/<int:pk>/issue-record/", views.issue_record, name="issue_record"),
    path("orders/<int:pk>/issue-record.pdf", views.issue_record_pdf, name="issue_record_pdf"),
    path("orders/<int:pk>/visit-form/", views.visit_form, name="visit_form"),
    path("orders/<int:pk>/visit-form.pdf", views.visit_form_pdf, name="visit_form_pdf"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumb/", views.photo, {"size": "thumb"}, name="photo_thumb"),
    path("tickets/<int:pk>/", views.ticket_page, name="ticket"),
    path("tickets/<int:pk>/respond/", views.ticket_respond, name="ticket_respond"),
    path("tickets/<int:pk>/assign/", views.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/repair/", views.ticket_repair, name="ticket_repair"),
    path("tickets/<int:pk>/resolve/", views.ticket_resolve, name="ticket_resolve"),
    path("tickets/<int:pk>/rate/", views.ticket_rate, name="ticket_rate"),
    path("tickets/<int:pk>/record/", views.ticket_record, name="ticket_record"),
    path("tickets/<int:pk>/record.pdf", views.ticket_record_pdf, name="ticket_record_pdf"),
    path("tickets/<int:pk>/replace/", views.replacement_plan, name="ticket_replace"),
    path("replacements/", views.replacement_list, name="replacements"),
    path("replacements/<int:pk>/", views.replacement_detail, name="replacement_detail"),
    path("replacements/<int:pk>/ship/", views.replacement_ship, name="replacement_ship"),
    path("replacements/<int:pk>/arrive/", views.replacement_arrive, name="replacement_arrive"),
    path("replacements/<int:pk>/cancel/", views.replacement_cancel, name="replacement_cancel"),
]
