from django.urls import path

from fulfillment import views

app_name = "fulfillment"

urlpatterns = [
    path("warehouse/", views.warehouse, name="warehouse"),
    path("logistics/", views.logistics, name="logistics"),
    path("stock/", views.stock, name="stock"),
    path("orders/<int:pk>/", views.order_fulfillment, name="order"),
    path("orders/<int:pk>/confirm-stock/", views.confirm_stock, name="confirm_stock"),
    path("orders/<int:pk>/schedule-service/", views.schedule_service, name="schedule_service"),
    path("orders/<int:pk>/warehouse/", views.change_warehouse, name="change_warehouse"),
    path("orders/<int:pk>/answer/", views.record_answer, name="record_answer"),
    path("orders/<int:pk>/progress/", views.add_progress, name="add_progress"),
    path("orders/<int:pk>/preparation/", views.save_preparation, name="save_preparation"),
    path("orders/<int:pk>/ready/", views.mark_ready, name="mark_ready"),
    path("orders/<int:pk>/ship/", views.ship, name="ship"),
    path("orders/<int:pk>/deliver/", views.record_delivery, name="record_delivery"),
    path("orders/<int:pk>/preparation-form/", views.preparation_form, name="preparation_form"),
    path(
        "orders/<int:pk>/preparation-form.pdf",
        views.preparation_form_pdf,
        name="preparation_form_pdf",
    ),
    path("shipments/<int:pk>/delivery-note/", views.delivery_note, name="delivery_note"),
    path("shipments/<int:pk>/delivery-note.pdf", views.delivery_note_pdf, name="delivery_note_pdf"),
]
