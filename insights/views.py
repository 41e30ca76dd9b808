"""The insights pages: read the precomputed tables (insights.selectors), never compute."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.actions import perform
from core.web import run_step
from insights import selectors
from insights.models import ReplenishmentSuggestion

LINE_PRODUCT = re.compile(r"^lines-(\d+)-product$")


@require_GET
@permission_required("insights.view_deliveryrisk", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = request.GET.get("mine") == "1"
    context = {
        "nav_active": "insights",
        "run": selectors.last_run(),
        "risks": selectors.delivery_risks(limit=15),
        "rules": selectors.top_rules(15) if user.has_perm("insights.view_productpair") else [],
        "churn": selectors.churn_list(user, mine=mine, limit=15)
        if user.has_perm("insights.view_churnrisk")
        else None,
        "mine": mine,
        "suggestions": selectors.suggestions(limit=10)
        if user.has_perm("insights.view_replenishmentsuggestion")
        else None,
    }
    return render(request, "insights/dashboard.html", context)


@login_required
@require_POST
def order_hints(request: HttpRequest) -> HttpResponse:
    """The order form's quiet hint: products often bought with those on the order."""
    if not request.user.has_perm("insights.view_productpair"):
        return HttpResponse("")
    product_ids: set[int] = set()
    for key, value in request.POST.items():
        match = LINE_PRODUCT.match(key)
        if not match or not value.strip().isdigit():
            continue
        if request.POST.get(f"lines-{match.group(1)}-DELETE"):
            continue
        product_ids.add(int(value))
    hints = selectors.hints_for(product_ids) if len(product_ids) <= 200 else []
    return render(request, "insights/_order_hints.html", {"hints": hints})


@require_POST
@permission_required("insights.add_replenishmentdecision", raise_exception=True)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = get_object_or_404(ReplenishmentSuggestion, pk=pk)
    adjust = request.POST.get("decision") == "adjust"
    back = reverse("fulfillment:stock")  # or the page named by ``next`` (core.web.back_to)
    return run_step(
        request,
        lambda: perform(
            "insights.decide_replenishment",
            actor=request.user,
            obj=suggestion,
            quantity=request.POST.get("quantity", "") if adjust else None,
            note=request.POST.get("note", ""),
        ),
        success=_("The decision was recorded."),
        back=back,
    )
