"""The month's archive package: orders and lines as xlsx, each order's PDFs, in one zip."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from archive.models import ArchivePackage, PackageStatus
from archive.periods import month_bounds
from core.outbox_kinds import task_put
from core.pdf import render_pdf
from orders.models import Order, OrderStatus

# The documents every archived order carries into the package (template, file prefix).
ORDER_DOCUMENTS = [
    ("orders/_review_form_document.html", "初步审核表"),
    ("orders/_confirmation_document.html", "订单确认单"),
]
PROGRESS_EVERY = 10
BUILD_TASK = "archive.package_build"  # archive.tasks.archive_package_build


def package_orders(period: str) -> Any:
    """The month's archived orders (by order date), the package's content."""
    year, month = (int(part) for part in period.split("-"))
    start, end = month_bounds(year, month)
    return Order.objects.filter(
        status=OrderStatus.ARCHIVED, order_date__gte=start, order_date__lte=end
    ).order_by("number", "pk")


@transaction.atomic
def package_request(*, actor: User, period: str) -> ArchivePackage:
    """Ask for the month's package; the build is handed to a worker through the outbox, so
    a broker that is down delays it and never loses it (docs/architecture.md §4)."""
    package = ArchivePackage.objects.create(
        period=period, requested_by=actor, total=package_orders(period).count()
    )
    task_put(BUILD_TASK, package.pk, target=package, key=f"archive-package:{package.pk}")
    return package


def package_build(*, package_id: int) -> ArchivePackage:
    """Write the zip; progress is saved every few orders so the page can show it."""
    from orders import selectors
    from orders.spreadsheets.exports import export_orders

    # Claimed once: a second copy of the task (the outbox may hand it over twice) finds
    # the package no longer waiting and leaves it alone.
    claimed = ArchivePackage.objects.filter(pk=package_id, status=PackageStatus.PENDING).update(
        status=PackageStatus.RUNNING
    )
    package = ArchivePackage.objects.get(pk=package_id)
    if not claimed:
        return package
    try:
        orders = package_orders(package.period)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                f"{package.period}-订单.xlsx",
                export_orders(orders, user=package.requested_by, fmt="xlsx"),
            )
            for index, order in enumerate(orders.iterator(chunk_size=200), start=1):
                detail = selectors.order_review_form(pk=order.pk)
                context = {
                    "order": detail,
                    "lines": list(detail.lines.all()),
                    "contacts": list(detail.contacts.all()),
                    "events": (),
                    "review": selectors.order_last_review(order=detail),
                    "show_prices": True,
                    "show_phone": True,
                    "company": settings.PORTAL_COMPANY,
                    "printed_at": timezone.localtime(),
                }
                for template, prefix in ORDER_DOCUMENTS:
                    context["document_title"] = prefix
                    context["document_template"] = template
                    pdf = render_pdf("orders/document_pdf.html", context)
                    archive.writestr(
                        f"{detail.number or detail.pk}/{prefix}-{detail.number}.pdf", pdf
                    )
                if index % PROGRESS_EVERY == 0:
                    ArchivePackage.objects.filter(pk=package.pk).update(done=index)
        package.refresh_from_db()
        package.file.save(f"{package.period}.zip", ContentFile(buffer.getvalue()), save=False)
        package.done, package.status = package.total, PackageStatus.DONE
    except Exception as exc:  # recorded and shown; the task itself must not die silently
        package.status, package.error = PackageStatus.FAILED, str(exc)[:2000]
    package.finished_at = timezone.now()
    package.save()
    return package
