"""The data admin's pages: closing a month and the month's archive packages.

Routed by archive/month_close_urls.py, which the reports URLs mount under
``/reports/archive/`` (URL names ``reports:archive``, ``reports:packages``, …).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from archive.models import ArchivePackage, MonthClose, PackageStatus
from archive.month_close import (
    last_full_month,
    month_close,
    month_is_over,
    month_not_over_message,
)
from archive.packages import package_request
from archive.periods import month_end
from core.uploads import private_file_response

MSG_CHOOSE_MONTH = gettext_lazy("Choose a month, e.g. %(example)s.")


def _example() -> str:
    year, month = last_full_month()
    return f"{year}-{month:02d}"


class MonthForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=gettext_lazy("Completed and cancelled orders of this month become read-only."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An empty field is an error that says what to enter, never a silent default.
        self.fields["month"].error_messages["required"] = MSG_CHOOSE_MONTH % {"example": _example()}

    def clean_month(self) -> tuple[int, int]:
        try:
            year, month = (int(part) for part in self.cleaned_data["month"].split("-"))
            if not 1 <= month <= 12 or year < 1900:
                raise ValueError
            month_end(year, month)  # year 9999 has no month after its December
        except (ValueError, OverflowError) as exc:
            raise forms.ValidationError(MSG_CHOOSE_MONTH % {"example": _example()}) from exc
        today = timezone.localdate()
        if (year, month) > (today.year, today.month):
            raise forms.ValidationError(gettext_lazy("A month can be closed once it has begun."))
        return year, month


class MonthCloseForm(MonthForm):
    """The close: the last full month is filled in; a month that has not ended needs the
    box ticked, under the sentence that says what closing it now does."""

    confirm_unfinished = forms.BooleanField(
        label=gettext_lazy("Close this month although it has not ended"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        year, month = last_full_month()
        kwargs.setdefault("initial", {"month": f"{year}-{month:02d}"})
        super().__init__(*args, **kwargs)
        self.needs_confirmation = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = cleaned.get("month")
        if chosen and not month_is_over(*chosen):
            self.needs_confirmation = True
            if not cleaned.get("confirm_unfinished"):
                self.add_error("confirm_unfinished", month_not_over_message(*chosen))
        return cleaned


def _require_archivist(request: HttpRequest) -> None:
    if not request.user.has_perm("orders.archive_order"):
        raise PermissionDenied


def month_close_page(request: HttpRequest) -> HttpResponse:
    _require_archivist(request)
    form = MonthCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        year, month = form.cleaned_data["month"]
        close = month_close(
            actor=request.user,
            year=year,
            month=month,
            unfinished_confirmed=form.cleaned_data["confirm_unfinished"],
        )
        messages.success(
            request,
            _("%(period)s closed: %(archived)s orders archived, %(open)s open orders carried over.")
            % {"period": close.period, "archived": close.archived, "open": close.carried_over},
        )
        return redirect("reports:archive")
    closes = MonthClose.objects.select_related("closed_by")[:24]
    return render(
        request,
        "archive/month_close.html",
        {"form": form, "closes": closes, "default_month": form.initial["month"]},
    )


@require_POST
def package_request_view(request: HttpRequest) -> HttpResponse:
    """Start building a month's archive package (a Celery task; the page shows progress)."""
    _require_archivist(request)
    form = MonthForm(request.POST)
    if form.is_valid():
        year, month = form.cleaned_data["month"]
        package_request(actor=request.user, period=f"{year}-{month:02d}")
        messages.success(request, _("The archive package is being built."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("month", [])))
    return redirect("reports:archive")


def packages_fragment(request: HttpRequest) -> HttpResponse:
    """The package list; refreshed by htmx every two seconds while one is being built."""
    _require_archivist(request)
    packages = list(ArchivePackage.objects.select_related("requested_by")[:12])
    busy = any(p.status in ("pending", "running") for p in packages)
    return render(request, "archive/_packages.html", {"packages": packages, "busy": busy})


def package_download(request: HttpRequest, pk: int) -> HttpResponse:
    _require_archivist(request)
    package = get_object_or_404(ArchivePackage, pk=pk, status=PackageStatus.DONE)
    return private_file_response(package.file, f"订单归档-{package.period}.zip", inline=False)
