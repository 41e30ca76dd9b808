"""The ``/reports/`` pages (namespace ``reports``): the monthly review, the dashboards, the
improvement list — and, mounted at ``archive/``, the archive app's month close and its
packages, which have always been reached from here (archive/month_close_urls.py)."""

from django.urls import include, path

from reports import views

app_name = "reports"

urlpatterns = [
    path("monthly/", views.monthly_review, name="monthly"),
    path("monthly.pdf", views.monthly_review_pdf, name="monthly_pdf"),
    path("monthly.xlsx", views.monthly_review_xlsx, name="monthly_xlsx"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("improvements/", views.improvements, name="improvements"),
    path("improvements/<int:pk>/status/", views.improvement_status, name="improvement_status"),
    path("archive/", include("archive.month_close_urls")),
]
