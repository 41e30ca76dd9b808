from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from core import selectors, services
from core.calendar import calendar_coverage_warnings
from core.models import Notification
from core.navigation import home_actions_for
from core.roles import DATA_ADMIN, ROLE_LABELS, has_role, user_roles
from core.work import work_for

ROLE_DUTIES = {
    "sales_assistant": _(
        "Enter orders, run the preliminary review, log clarification calls and track preparation."
    ),
    "sales_manager": _("Approve orders, cancellations and late changes; own the monthly review."),
    "sales_director": _("Give the final approval of large orders and orders with special terms."),
    "warehouse": _(
        "Confirm stock and deliverable dates, record preparation progress, QC and shipment preparation."
    ),
    "logistics": _("Ship orders and record carrier, tracking number and ETA."),
    "account_manager": _("Record on-site acceptance and its issues, run follow-up visits."),
    "aftersales": _("Answer after-sales tickets: response, repair, replacement or refund."),
    "data_admin": _("Close months into the archive, keep statistics and retention."),
    "legal": _("Review contracts."),
    "general_manager": _("Approve access to confidential documents and watch the business."),
}


def home(request: HttpRequest) -> HttpResponse:
    """Each role's own work, one panel per role the user holds."""
    panels = [
        {
            "role": role,
            "label": ROLE_LABELS[role],
            "duties": ROLE_DUTIES[role],
            "actions": home_actions_for(request.user, role),
        }
        for role in user_roles(request.user)
    ]
    context = {
        "panels": panels,
        "clock_counts": selectors.clock_counts(user=request.user),
        "calendar_warnings": _calendar_warnings_for(request.user),
    }
    return render(request, "core/home.html", context)


def _calendar_warnings_for(user: object) -> list[str]:
    """Calendar gaps, shown to those who can fix them (admins and data administrators)."""
    if getattr(user, "is_staff", False) or has_role(user, DATA_ADMIN):  # type: ignore[arg-type]
        return calendar_coverage_warnings()
    return []


MY_WORK_CLOCKS = 50


def my_work(request: HttpRequest) -> HttpResponse:
    """My open deadlines (overdue first, with how late) and the work my roles can pick up."""
    now = timezone.now()
    mine = selectors.my_open_clocks(user=request.user, now=now)
    # The most urgent first, a page's worth (a busy assistant holds hundreds of clocks).
    clocks = list(mine[:MY_WORK_CLOCKS])
    totals = mine.order_by().aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lte=now))
    )
    context = {
        "now": now,
        "overdue_clocks": [clock for clock in clocks if clock.overdue],  # type: ignore[attr-defined]
        "upcoming_clocks": [clock for clock in clocks if not clock.overdue],  # type: ignore[attr-defined]
        "clocks_total": totals["total"],
        "clocks_overdue": totals["overdue"],
        "clocks_more": totals["total"] - len(clocks),
        "clocks_shown": len(clocks),
        "work_sources": work_for(request.user),
    }
    return render(request, "core/my_work.html", context)


def notification_list(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first; ``?unread=1`` shows only the unread ones."""
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.notification_list(user=request.user, unread_only=unread_only)
    page_obj = Paginator(notifications, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "notifications": page_obj.object_list,
        "unread_only": unread_only,
    }
    return render(request, "core/notification_list.html", context)


def _is_safe(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if _is_safe(request, target):
        return redirect(target)
    return redirect("core:notifications")


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of my notifications read; someone else's is a 404."""
    try:
        notification = services.notification_mark_read(
            user=request.user,  # type: ignore[arg-type]
            notification_id=pk,
        )
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    if request.POST.get("open") and _is_safe(request, notification.url):
        return redirect(notification.url)
    return _back(request)


@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked as read.",
            "%(count)d notifications marked as read.",
            count,
        )
        % {"count": count},
    )
    return _back(request)


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, also available on the login page. A signed-in user's
    choice is remembered: their e-mails are written in it (core.services.user_language)."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_language_set(user=request.user, language=language)
    return response


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception:  # the probe must answer, whatever broke
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for the orchestrator: database, broker and migrations; 503 if any fails."""
    from core.observability import readiness

    ready, checks = readiness()
    return JsonResponse(
        {"status": "ok" if ready else "error", **checks}, status=200 if ready else 503
    )
