"""The document register and borrowing pages (namespace ``archive``, at ``/archive/``)."""

from django.urls import path

from archive import document_views as views

app_name = "archive"

urlpatterns = [
    path("", views.register, name="register"),
    path("documents/<int:pk>/", views.document_open, name="document_open"),
    path("disposal/", views.disposal, name="disposal"),
    path("disposal/<int:pk>/", views.dispose, name="dispose"),
    path("borrowings/", views.borrowings, name="borrowings"),
    path("borrowings/new/", views.borrowing_create, name="borrowing_create"),
    path("borrowings/<int:pk>/", views.borrowing_detail, name="borrowing_detail"),
    path("borrowings/<int:pk>/return/", views.borrowing_return, name="borrowing_return"),
    path("borrowings/<int:pk>/<slug:decision>/", views.borrowing_decide, name="borrowing_decide"),
    path("access-log/", views.access_log, name="access_log"),
]
