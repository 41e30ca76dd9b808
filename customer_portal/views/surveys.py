"""The customer's satisfaction survey page (满意度调研), after acceptance.

Thin: the link decorator opens the order; :func:`customer_portal.actions.surveys.survey_answer`
holds the rules (once per order, accepted or completed, score 1–5, the low-score task).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from aftersales.models import SatisfactionSurvey, SurveyReason
from core.errors import Invalid, as_domain_error, user_message
from customer_portal.access import CustomerAccess, customer_view
from customer_portal.actions.surveys import SURVEY_STATES, survey_answer

TEMPLATE = "customer_portal/survey.html"

# What each score says, under the stars.
SCORE_WORDS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Okay"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}


def _context(access: CustomerAccess, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "access": access,
        "order": access.order,
        "survey": SatisfactionSurvey.objects.filter(order=access.order).first(),
        "open": access.order.status in SURVEY_STATES,
        "scores": [(n, SCORE_WORDS[n]) for n in range(1, 6)],
        "reasons": SurveyReason.choices,
        "posted_score": "",
        "posted_reasons": [],
        "posted_comment": "",
        "error": "",
    }
    context.update(extra)
    return context


@customer_view(methods=("GET", "HEAD", "POST"))
def survey(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    if request.method != "POST":
        return render(request, TEMPLATE, _context(access))
    reasons = request.POST.getlist("reasons")[:10]
    try:
        survey_answer(
            actor=access.actor,
            order=access.order,
            score=request.POST.get("score"),
            reasons=reasons,
            comment=request.POST.get("comment", ""),
        )
    except Exception as exc:
        error = as_domain_error(exc)
        if error is None:
            raise
        if isinstance(error, Invalid):
            context = _context(
                access,
                error=user_message(error),
                posted_score=request.POST.get("score", ""),
                posted_reasons=reasons,
                posted_comment=request.POST.get("comment", "")[:2000],
            )
            return render(request, TEMPLATE, context, status=400)
        return access.refused(exc)
    return redirect(access.url("customer_portal:survey"))
