from django.urls import path

from contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_create, name="create"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/sign/", views.contract_sign, name="sign"),
    path("<int:pk>/scan/", views.contract_scan, name="scan"),
    path("<int:pk>/amendments/", views.amendment_create, name="amend"),
    path(
        "<int:pk>/amendments/<int:amendment_pk>/<slug:action>/",
        views.amendment_decide,
        name="amendment_decide",
    ),
    path("<int:pk>/<slug:action>/", views.contract_step, name="step"),
]
