from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/documents/<int:doc_pk>/", views.document_download, name="document_download"),
    path("<int:pk>/documents/<int:doc_pk>/delete/", views.document_delete, name="document_delete"),
]
