from django.urls import path

from archive import report_views

app_name = "reports"

urlpatterns = [
    path("monthly/", report_views.monthly_review, name="monthly"),
    path("monthly.pdf", report_views.monthly_review_pdf, name="monthly_pdf"),
    path("monthly.xlsx", report_views.monthly_review_xlsx, name="monthly_xlsx"),
    path("dashboard/", report_views.dashboard_view, name="dashboard"),
]

from archive import archive_views  # noqa: E402 - the data admin's pages, same namespace

urlpatterns += [
    path("archive/", archive_views.month_close_page, name="archive"),
    path("archive/packages/", archive_views.packages_fragment, name="packages"),
    path("archive/packages/new/", archive_views.package_request_view, name="package_request"),
    path("archive/packages/<int:pk>/", archive_views.package_download, name="package_download"),
    path("improvements/", archive_views.improvements, name="improvements"),
    path(
        "improvements/<int:pk>/status/", archive_views.improvement_status, name="improvement_status"
    ),
]
