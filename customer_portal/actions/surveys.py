"""The satisfaction survey after acceptance (满意度调研), answered on the customer's page
(docs/decisions/0013-signed-delivery-receipts.md, "The survey").

``customer.survey_answer`` — the customer of this order (a valid link), the order accepted
or completed, once per order — records the score (1–5), the reasons and a comment, and:

* a score above :data:`LOW_SCORE` is the order's follow-up record: it performs the same
  ``aftersales.visit_log`` as the account manager's phone call (method "online survey";
  a 问卷调查 is one of the 回访 methods), which meets the 3-working-day follow-up clock
  and completes the order when no after-sales ticket is open;
* a score of :data:`LOW_SCORE` or less is a follow-up task for the account manager: they
  are notified at once, and the follow-up visit stays due — its clock (started at
  acceptance) keeps running and escalates to the sales manager when missed — until they
  have called the customer and logged the visit.

Either way the survey feeds the monthly report (reports: average score, low scores).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aftersales.exceptions import AftersalesError
from aftersales.models import FollowUpVisit, SatisfactionSurvey, SurveyReason, VisitMethod
from core.actions import Step, perform
from core.errors import Invalid
from core.messages import Msg
from core.services import notify_users
from customer_portal.access import LinkActor, customer_action
from customer_portal.actions import receipts  # noqa: F401  (admits the customer to after-sales)
from fulfillment.selectors import order_account_manager
from orders.models import Order, OrderStatus

# A score at or below this opens a follow-up task for the account manager.
LOW_SCORE: int = getattr(settings, "SURVEY_LOW_SCORE", 2)
SURVEY_STATES = (OrderStatus.ACCEPTED, OrderStatus.COMPLETED)

MSG_SCORE_REQUIRED = _("Please choose a score from 1 to 5.")
MSG_SURVEY_DONE = _("Thank you — this survey is already answered.")


def survey_answer(
    *, actor: LinkActor, order: Order, score: Any, reasons: list[str], comment: str = ""
) -> SatisfactionSurvey:
    result: SatisfactionSurvey = perform(
        "customer.survey_answer",
        actor=actor,
        obj=order,
        score=score,
        reasons=reasons,
        comment=comment,
    )
    return result


@customer_action(
    "customer.survey_answer",
    label=_("%(contact)s answered the satisfaction survey: %(score)s/5"),
    states=SURVEY_STATES,
)
def survey_answer_step(step: Step[Order]) -> SatisfactionSurvey:
    """Record the survey; a good score is the follow-up record, a low one a task (see above)."""
    order = step.obj
    actor: LinkActor = step.actor
    if SatisfactionSurvey.objects.filter(order=order).exists():
        raise AftersalesError(MSG_SURVEY_DONE, code="survey_done")
    try:
        score = int(step.params.get("score") or 0)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise Invalid(MSG_SCORE_REQUIRED, fields={"score": [str(MSG_SCORE_REQUIRED)]})
    reasons = [
        r for r in dict.fromkeys(step.params.get("reasons") or []) if r in SurveyReason.values
    ]
    comment = (step.params.get("comment") or "").strip()[:2000]
    survey = SatisfactionSurvey.objects.create(
        order=order,
        score=score,
        reasons=reasons,
        comment=comment,
        low_score=score <= LOW_SCORE,
        contact_id_ref=actor.contact.pk,
        contact_name=actor.contact.name[:50],
        ip=actor.ip,
        user_agent=actor.user_agent,
    )
    step.payload["msg_params"] = {"score": score}
    step.payload["survey"] = {"score": score, "reasons": reasons}
    visited = FollowUpVisit.objects.filter(order=order).exists()
    if survey.low_score:
        notify_users(
            [order_account_manager(order), order.owner],
            title=Msg(
                _("Low satisfaction (%(score)s/5) on order %(number)s: please call %(contact)s"),
                score=score,
                number=order.number,
                contact=actor.contact.name,
            ),
            body=comment or Msg(_("No comment given.")),
            target=order,
        )
    elif not visited and order.status == OrderStatus.ACCEPTED:
        perform(
            "aftersales.visit_log",
            actor=actor,
            obj=order,
            method=VisitMethod.SURVEY,
            person=actor.contact.name[:50],
            satisfaction=score,
            feedback=comment,
        )
    return survey
