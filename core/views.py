from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from core.navigation import home_actions_for
from core.roles import ROLE_LABELS, user_roles

ROLE_DUTIES = {
    "sales_assistant": _("Enter orders, run the preliminary review, log clarification calls and track preparation."),
    "sales_manager": _("Approve orders, cancellations and late changes; own the monthly review."),
    "sales_director": _("Give the final approval of large orders and orders with special terms."),
    "warehouse": _("Confirm stock and deliverable dates, record preparation progress, QC and shipment preparation."),
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
    return render(request, "core/home.html", {"panels": panels})


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, also available on the login page."""
    return django_set_language(request)


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
