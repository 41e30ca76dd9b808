"""Spreadsheet import (upload → preview → import) and the xlsx / csv exports.

Only data administrators and sales managers import; everyone exports what their
list shows them, with prices and phone numbers only where their role sees them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.queueing import WORKER_UNAVAILABLE, task_send
from core.spreadsheets import ImportFileError
from customers.selectors import customer_list, customers_visible_to
from customers.spreadsheet import export_customers
from orders import selectors, tasks
from orders.models import ImportJob, ImportJobStatus, OrderStatus
from orders.predicates.orders import may_import as may_import_orders
from orders.spreadsheets import columns, exports, imports
from orders.views.lists import OrderFilterForm

PREVIEW_PAGE_SIZE = 100
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def may_import(user: Any) -> bool:
    """The ``order.import`` predicate: the page refuses whom the action would refuse."""
    return bool(may_import_orders.test(user, None))


def _require_importer(request: HttpRequest) -> None:
    if not may_import(request.user):
        raise PermissionDenied(_("Only data administrators and sales managers may import."))


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (xlsx or csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _job(request: HttpRequest, pk: int) -> ImportJob:
    _require_importer(request)
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    # An upload may hold other teams' data: only its uploader (or an admin) sees it.
    if job.created_by_id != request.user.pk and not request.user.is_superuser:
        raise PermissionDenied
    return job


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(actor=request.user, upload=form.cleaned_data["file"])
        except ImportFileError as exc:
            form.add_error("file", exc.message)
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if job.is_running and not task_send(tasks.import_job_validate, job.pk):
                ImportJob.objects.filter(pk=job.pk).update(
                    status=ImportJobStatus.FAILED, error=str(WORKER_UNAVAILABLE)
                )
            return redirect("orders:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:10]
    return render(
        request,
        "orders/import_start.html",
        {
            "form": form,
            "jobs": jobs,
            "columns": columns.COLUMNS,
            "max_mb": imports.MAX_BYTES // (1024 * 1024),
        },
    )


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    report = job.report or {}
    rows = report.get("rows", [])
    show = request.GET.get("show", "")
    if show == "errors":
        rows = [row for row in rows if row["errors"]]
    page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row["action_label"] = imports.ACTION_LABELS.get(row["action"], row["action"])
        status = row.get("status", "")
        row["status_label"] = OrderStatus(status).label if status in OrderStatus.values else ""
    return render(
        request,
        "orders/import_job.html",
        {
            "job": job,
            "report": report,
            "counts": report.get("counts", {}),
            "page_obj": page,
            "show": show,
            "needs_consent": bool(
                report.get("missing_customers") or report.get("missing_products")
            ),
        },
    )


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled every second by the job page while a task runs; reloads the page when done."""
    job = _job(request, pk)
    response = render(request, "orders/import_progress.html", {"job": job})
    if not job.is_running and request.htmx:  # type: ignore[attr-defined]
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.status != ImportJobStatus.READY:
        messages.error(request, _("This file cannot be imported in its current state."))
        return redirect("orders:import_job", pk=job.pk)
    job.create_missing = request.POST.get("create_missing") == "on"
    if job.total_rows >= imports.ASYNC_ROWS:
        job.status = ImportJobStatus.IMPORTING
        job.processed_rows = 0
        job.save(update_fields=["create_missing", "status", "processed_rows"])
        if not task_send(tasks.import_job_run, job.pk):
            # Nothing was imported: the file stays ready for another try.
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.READY)
            messages.error(request, WORKER_UNAVAILABLE)
        return redirect("orders:import_job", pk=job.pk)
    job.save(update_fields=["create_missing"])
    job = imports.import_job_run(job_id=job.pk)
    if job.status == ImportJobStatus.DONE:
        messages.success(
            request,
            _("Imported: %(created)s new and %(updated)s updated orders.")
            % {"created": job.result.get("created", 0), "updated": job.result.get("updated", 0)},
        )
    elif job.error:
        messages.error(request, job.error)
    return redirect("orders:import_job", pk=job.pk)


# --- export ---------------------------------------------------------------------------


def _fmt(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "xlsx")
    return fmt if fmt in CONTENT_TYPES else "xlsx"


def _download(data: bytes, *, fmt: str, stem: str) -> HttpResponse:
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    name = f"{stem}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@permission_required("orders.view_order", raise_exception=True)
@require_GET
def order_export(request: HttpRequest) -> HttpResponse:
    """The order list as currently filtered (same filters, status tab and search)."""
    filter_form = OrderFilterForm(request.GET or None)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    qs = selectors.order_list(filters=filters)
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    fmt = _fmt(request)
    return _download(exports.export_orders(qs, user=request.user, fmt=fmt), fmt=fmt, stem="orders")


@permission_required("customers.view_customer", raise_exception=True)
@require_GET
def customer_export(request: HttpRequest) -> HttpResponse:
    from customers.forms import CustomerFilterForm

    filter_form = CustomerFilterForm(request.GET or None)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    qs = customers_visible_to(request.user, customer_list(filters=filters))
    fmt = _fmt(request)
    return _download(export_customers(qs, user=request.user, fmt=fmt), fmt=fmt, stem="customers")


@permission_required("orders.view_product", raise_exception=True)
@require_GET
def product_export(request: HttpRequest) -> HttpResponse:
    from orders.forms.catalog import ProductFilterForm

    filter_form = ProductFilterForm(request.GET or None)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    fmt = _fmt(request)
    return _download(
        exports.export_products(
            selectors.product_list(filters=filters), user=request.user, fmt=fmt
        ),
        fmt=fmt,
        stem="products",
    )
