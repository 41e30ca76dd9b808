"""The month close and its packages. Mounted by reports/urls.py at ``/reports/archive/``
inside the ``reports`` namespace, where these pages have always been (URL names
``reports:archive``, ``reports:packages``, ``reports:package_request``,
``reports:package_download``)."""

from django.urls import path

from archive import month_close_views as views

urlpatterns = [
    path("", views.month_close_page, name="archive"),
    path("packages/", views.packages_fragment, name="packages"),
    path("packages/new/", views.package_request_view, name="package_request"),
    path("packages/<int:pk>/", views.package_download, name="package_download"),
]
