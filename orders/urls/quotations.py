from django.urls import path

from orders.views import quotations as views

# Included into the "orders" namespace by orders/urls/orders.py.
urlpatterns = [
    path("quotations/", views.quotation_list, name="quotation_list"),
    path("quotations/new/", views.quotation_create, name="quotation_create"),
    path("quotations/<int:pk>/", views.quotation_detail, name="quotation_detail"),
    path("quotations/<int:pk>/edit/", views.quotation_edit, name="quotation_edit"),
    path("quotations/<int:pk>/convert/", views.quotation_convert, name="quotation_convert"),
    path("quotations/<int:pk>/quotation.pdf", views.quotation_pdf, name="quotation_pdf"),
    path("quotations/<int:pk>/<slug:action>/", views.quotation_step, name="quotation_step"),
    path("<int:pk>/contract/", views.order_link_contract, name="link_contract"),
]
