"""Pages of the reports app: the monthly review report (page, PDF, XLSX), the dashboards
with drill-down, and the improvement list. Thin: request → selector / service → page."""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from archive.periods import month_bounds
from core.errors import Invalid, user_message
from core.pdf import content_disposition, pdf_response
from core.roles import SALES_MANAGER, has_role
from core.web import refused, run_step
from reports import charts
from reports.forms import ImprovementForm
from reports.models import ImprovementItem, ImprovementStatus
from reports.selectors import MonthlyReport, dashboard, improvements_for, monthly_report_cached
from reports.services import improvement_save, improvement_set_status


def _require_report_role(request: HttpRequest) -> None:
    if not request.user.has_perm("archive.view_reports"):
        raise PermissionDenied


# The months a report can be asked for: any month an order can have, and narrow enough
# that the month before, the same month a year before and the 12-month trend are dates too.
FIRST_MONTH, LAST_MONTH = (2000, 1), (2099, 12)
MSG_BAD_MONTH = gettext_lazy(
    "“%(value)s” is not a month the report covers: enter a month from %(first)s to %(last)s "
    "as YYYY-MM."
)


def _month(request: HttpRequest, *, lenient: bool = False) -> tuple[int, int]:
    """?month=YYYY-MM, default this month.

    A value that is not such a month is a 400 with the reason (``Invalid``, answered by
    core.web's middleware: docs/architecture.md §5) — or, on a page (``lenient``), this
    month with the reason as a message.
    """
    today = timezone.localdate()
    raw = request.GET.get("month", "").strip()
    if not raw:
        return today.year, today.month
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", raw)
    if match:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and FIRST_MONTH <= (year, month) <= LAST_MONTH:
            return year, month
    reason = MSG_BAD_MONTH % {
        "value": raw[:20],
        "first": "{:04d}-{:02d}".format(*FIRST_MONTH),
        "last": "{:04d}-{:02d}".format(*LAST_MONTH),
    }
    error = Invalid(reason, fields={"month": [reason]})
    if not lenient:
        raise error
    messages.warning(request, user_message(error))
    return today.year, today.month


MSG_NO_ORDERS_CHART = gettext_lazy("No orders this month.")


def _charts(report: MonthlyReport) -> dict[str, Any]:
    """The report's charts; one with nothing of the month's to show says so in words."""
    none = str(MSG_NO_ORDERS_CHART)
    extra = {}
    satisfaction = report.extra.get("satisfaction")
    if satisfaction:
        extra["satisfaction"] = charts.bar_chart(
            [(f"{score} ★", count) for score, count in satisfaction["distribution"]],
            title=_("Satisfaction (follow-up visits)"),
            empty=str(gettext_lazy("No follow-up visits of this month's orders.")),
        )
        if satisfaction["issue_types"]:
            extra["issues"] = charts.pie_chart(
                [(str(row["label"]), row["count"]) for row in satisfaction["issue_types"]],
                title=_("Acceptance issues by type"),
            )
    return extra | {
        "trend": charts.column_chart(
            [(row["label"][5:], row["amount"]) for row in report.trend],
            title=_("Order amount, last 12 months (CNY)"),
            empty=str(gettext_lazy("No orders in these twelve months.")),
        ),
        "region": charts.bar_chart(
            [(str(row["label"]), row["amount"]) for row in report.by_region],
            title=_("Amount by region (CNY)"),
            empty=none,
        ),
        "channel": charts.pie_chart(
            [(str(row["label"]), row["orders"]) for row in report.by_channel],
            title=_("Orders by source channel"),
            empty=none,
        ),
        "stages": charts.bar_chart(
            [(str(row["label"]), row["median_hours"] or 0) for row in report.stages],
            title=_("Median hours per stage"),
            empty=none if report.is_empty else "",
        ),
    }


def _context(request: HttpRequest, *, lenient: bool = False) -> dict[str, Any]:
    year, month = _month(request, lenient=lenient)
    report = monthly_report_cached(year=year, month=month, fresh=request.GET.get("fresh") == "1")
    return {
        "report": report,
        "improvements": improvements_for(year=year, month=month),
        "charts": _charts(report),
        "company": settings.PORTAL_COMPANY,
        "document_title": _("Monthly order review report"),
        "printed_at": timezone.localtime(),
        "month_value": f"{year}-{month:02d}",
        "orders_url": reverse("orders:list"),
    }


def monthly_review(request: HttpRequest) -> HttpResponse:
    _require_report_role(request)
    return render(request, "reports/report.html", _context(request, lenient=True))


def monthly_review_pdf(request: HttpRequest) -> HttpResponse:
    _require_report_role(request)
    context = _context(request)
    name = f"{_('Monthly order review report')}-{context['month_value']}.pdf"
    return pdf_response("reports/report_pdf.html", context, filename=name, request=request)


def monthly_review_xlsx(request: HttpRequest) -> HttpResponse:
    """The report's tables, one sheet each."""
    from openpyxl import Workbook

    _require_report_role(request)
    report = _context(request)["report"]
    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")
    sheet.append(
        [_("Month"), _("Orders"), _("Amount (CNY)"), _("Cancelled"), _("Number of customers")]
    )
    for label, totals in (
        (report.label, report.totals),
        (_("Previous month"), report.previous),
        (_("Same month last year"), report.last_year),
    ):
        sheet.append(
            [label, totals.orders, float(totals.amount), totals.cancelled, totals.customers]
        )
    tables = [
        (
            # The same figures as the page and the PDF; a zero base says why in words.
            _("Key figures"),
            [_("Figure"), _("Value"), _("Unit"), _("Numerator"), _("Denominator")],
            [
                [
                    str(f.label),
                    float(f.value) if f.measured and f.value is not None else str(f.empty),
                    f.unit,
                    f.part if f.measured else None,
                    f.whole if f.measured else None,
                ]
                for f in report.key_figures
            ],
        ),
        (
            _("By customer"),
            [_("Customer"), _("Orders"), _("Amount (CNY)")],
            [[r["customer__name"], r["orders"], float(r["amount"])] for r in report.by_customer],
        ),
        (
            _("By product"),
            [_("Code"), _("Product"), _("Quantity"), _("Amount (CNY)")],
            [
                [r["product__code"], r["product__name"], float(r["quantity"]), float(r["amount"])]
                for r in report.by_product
            ],
        ),
        (
            _("By region"),
            [_("Region"), _("Orders"), _("Amount (CNY)")],
            [[str(r["label"]), r["orders"], float(r["amount"])] for r in report.by_region],
        ),
        (
            _("By channel"),
            [_("Source channel"), _("Orders"), _("Amount (CNY)")],
            [[str(r["label"]), r["orders"], float(r["amount"])] for r in report.by_channel],
        ),
        (
            _("Stages"),
            [_("Stage"), _("Average hours"), _("Median hours"), _("Orders")],
            [
                [str(r["label"]), r["avg_hours"], r["median_hours"], r["orders"]]
                for r in report.stages
            ],
        ),
        (
            _("Late orders"),
            [
                _("Order number"),
                _("Customer"),
                _("Promised"),
                _("Delivered"),
                _("Days late"),
                _("Reason"),
            ],
            [
                [
                    r["number"],
                    r["customer"],
                    r["promised"],
                    r["delivered"],
                    r["days_late"],
                    r["reason"],
                ]
                for r in report.late_orders
            ],
        ),
    ]
    for title, header, rows in tables:
        ws = book.create_sheet(str(title)[:31])
        ws.append([str(h) for h in header])
        for row in rows:
            # Our own figures and names; neutralise formula-like text all the same.
            ws.append([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"{_('Monthly order review report')}-{report.label}.xlsx"
    response["Content-Disposition"] = content_disposition(name, inline=False)
    return response


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """This month (or ?month=) by customer, product and region; every number drills down."""
    _require_report_role(request)
    year, month = _month(request, lenient=True)
    start, end = month_bounds(year, month)
    group = request.GET.get("by", "customer")
    if group not in ("customer", "product", "region"):
        group = "customer"
    rows = dashboard(start=start, end=end, group=group)
    from customers.models import Region

    regions = dict(Region.choices)
    base = f"{reverse('orders:list')}?date_from={start.isoformat()}&date_to={end.isoformat()}"
    for row in rows:
        if group == "customer":
            row["label"], row["url"] = (
                row["customer__name"],
                f"{base}&customer={row['customer_id']}",
            )
        elif group == "product":
            row["label"] = f"{row['product__code']} {row['product__name']}"
            row["url"] = f"{base}&q={row['product__code']}"
        else:
            row["label"] = regions.get(row["customer__region"], row["customer__region"])
            row["url"] = f"{base}&region={row['customer__region']}"
    return render(
        request,
        "reports/dashboard.html",
        {
            "rows": rows,
            "group": group,
            "month_value": f"{year}-{month:02d}",
            "start": start,
            "end": end,
            "orders_base": base,
        },
    )


# --- the improvement list ----------------------------------------------------------------


def _may_manage_improvements(request: HttpRequest) -> bool:
    return request.user.is_superuser or has_role(request.user, SALES_MANAGER)


def improvements(request: HttpRequest) -> HttpResponse:
    _require_report_role(request)
    may_manage = _may_manage_improvements(request)
    form = ImprovementForm(
        request.POST or None, initial={"period": timezone.localdate().strftime("%Y-%m")}
    )
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            improvement_save(actor=request.user, item=form.save(commit=False))
            messages.success(request, _("The improvement item was saved."))
            return redirect("reports:improvements")
    items = ImprovementItem.objects.select_related("owner")
    return render(
        request,
        "reports/improvements.html",
        {
            "form": form,
            "items": items,
            "may_manage": may_manage,
            "statuses": ImprovementStatus.choices,
        },
    )


@require_POST
def improvement_status(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_manage_improvements(request):
        raise PermissionDenied
    item = get_object_or_404(ImprovementItem, pk=pk)
    status = request.POST.get("status", "")
    if status not in ImprovementStatus.values:
        return refused(request, Invalid(), back=reverse("reports:improvements"))
    return run_step(
        request,
        lambda: improvement_set_status(actor=request.user, item=item, status=status),
        success="",
        back=reverse("reports:improvements"),
        redirect_to=reverse("reports:improvements"),
    )
