"""What people and the nightly job do with what the history teaches — through the engine.

* ``insights.decide_replenishment``: the warehouse accepts a suggestion or adjusts its
  quantity; the decision is recorded (:class:`~insights.models.ReplenishmentDecision`).
* ``insights.warn_delivery_early``: an order that turned high-risk gets its delivery
  warning moved earlier (fulfillment's clocks restarted with the longer lead of
  :func:`delivery_risk_lead`); the order's timeline says why.
* ``insights.churn_follow_up``: a key customer that turned high-risk gets a follow-up
  task for its account manager (a clock on the customer and a notification).
* A hook on ``fulfillment.purchase_alert`` adds the replenishment suggestion to the
  alert's notification.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import rules
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.actions import Step, action, has_perm, on
from core.errors import Invalid
from core.messages import Msg
from core.models import SlaKind
from core.services import notify_users, sla_clock_start
from customers.models import Customer
from insights.models import ChurnRisk, DeliveryRisk, ReplenishmentDecision, ReplenishmentSuggestion
from insights.services import EARLY_WARNING_LEAD, OPEN_STATUSES
from orders.models import Order
from orders.models.orders import OrderEventKind


@rules.predicate
def system_only(user: Any, obj: Any = None) -> bool:
    """A step the nightly job takes; no person and no request can run it."""
    return user is None


may_decide = has_perm("insights.add_replenishmentdecision")


def _invalid_quantity(message: Any) -> Invalid:
    return Invalid(message, fields={"quantity": [str(message)]})


def joined(reasons: list[dict]) -> Msg | str:
    """The stored reasons as one message (language-neutral: each part renders per reader)."""
    parts = [Msg.from_json(reason) for reason in reasons]
    if not parts:
        return ""
    message = parts[-1]
    for part in reversed(parts[:-1]):
        message = Msg(gettext_noop("%(first)s; %(rest)s"), first=part, rest=message)
    return message


@action(
    "insights.decide_replenishment",
    model=ReplenishmentSuggestion,
    predicate=may_decide,
    records=False,
)
def decide_replenishment(step: Step[Any]) -> ReplenishmentDecision:
    """``quantity`` None: accept the suggested quantity; else the warehouse's own."""
    suggestion = step.obj
    if suggestion.suggested_qty is None:
        raise _invalid_quantity(_("There is no suggestion to accept for this product."))
    raw = step.params.get("quantity")
    if raw in (None, ""):
        quantity = suggestion.suggested_qty
    else:
        try:
            quantity = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            raise _invalid_quantity(_("Enter a number.")) from None
        if not quantity.is_finite() or quantity < 0 or quantity > Decimal("1e9"):
            raise _invalid_quantity(_("Enter a quantity of 0 or more."))
    kind = (
        ReplenishmentDecision.Kind.ACCEPTED
        if quantity == suggestion.suggested_qty
        else ReplenishmentDecision.Kind.ADJUSTED
    )
    return ReplenishmentDecision.objects.create(
        product_id=suggestion.product_id,
        warehouse_id=suggestion.warehouse_id,
        kind=kind,
        suggested_qty=suggestion.suggested_qty,
        quantity=quantity.quantize(Decimal("0.01")),
        note=str(step.params.get("note") or "")[:300],
        suggestion_as_of=suggestion.as_of,
        decided_by=step.actor,
    )


def early_lead(order: Order) -> timedelta | None:
    """fulfillment's delivery-risk lead registry: a high-risk order warns earlier."""
    level = DeliveryRisk.objects.filter(order_id=order.pk).values_list("level", flat=True).first()
    return EARLY_WARNING_LEAD if level == "high" else None


@action(
    "insights.warn_delivery_early",
    model=Order,
    predicate=system_only,
    states=OPEN_STATUSES,
    event=OrderEventKind.NOTE,
)
def warn_delivery_early(step: Step[Any]) -> Any:
    from fulfillment import services as fulfillment

    order = step.obj
    risk = DeliveryRisk.objects.select_for_update().get(order_id=order.pk)
    record = fulfillment.fulfillment_locked(order)
    if record is not None:
        fulfillment.delivery_risk_restart(order, record)
    risk.warned_early_at = timezone.now()
    risk.save(update_fields=["warned_early_at"])
    step.set_note(
        Msg(
            _(
                "Delivery risk %(score)s/100 (%(reasons)s): the delivery warning starts %(hours)s hours before the promised date."
            ),
            score=risk.score,
            reasons=joined(risk.reasons),
            hours=int(EARLY_WARNING_LEAD.total_seconds() // 3600),
        )
    )
    return order


@action(
    "insights.churn_follow_up",
    model=Customer,
    predicate=system_only,
    records=False,
)
def churn_follow_up(step: Step[Any]) -> Any:
    from django.contrib.auth import get_user_model

    from core import roles

    customer = step.obj
    risk = ChurnRisk.objects.select_for_update().get(customer_id=customer.pk)
    owner = customer.account_manager
    if owner is None:
        owner = (
            get_user_model()
            .objects.filter(groups__name=roles.SALES_MANAGER, is_active=True)
            .order_by("pk")
            .first()
        )
    if owner is not None:
        note = Msg(
            _("Key customer at risk of leaving (%(score)s/100): %(reasons)s"),
            score=risk.score,
            reasons=joined(risk.reasons),
        )
        sla_clock_start(
            target=customer, kind=SlaKind.FOLLOWUP_VISIT, owner=owner, working_days=3, note=note
        )
        notify_users(
            [owner],
            title=Msg(
                _("Follow up %(customer)s: a key customer at risk of leaving"),
                customer=customer.name,
            ),
            body=joined(risk.reasons),
            target=customer,
        )
    risk.followup_at = timezone.now()
    risk.save(update_fields=["followup_at"])
    return customer


@on("fulfillment.purchase_alert")
def purchase_alert_with_suggestion(step: Step[Any]) -> None:
    """A raised purchase alert also tells the warehouse what the history suggests."""
    alert = step.result
    if not getattr(alert, "pk", None):
        return
    level = step.obj
    suggestion = ReplenishmentSuggestion.objects.filter(
        product_id=level.product_id, warehouse_id=level.warehouse_id
    ).first()
    if suggestion is None or suggestion.suggested_qty is None:
        return
    recipient = level.warehouse.manager
    if recipient is None:
        return
    notify_users(
        [recipient],
        title=Msg(
            _("Suggested order for %(product)s in %(warehouse)s: %(qty)s"),
            product=level.product.name,
            warehouse=level.warehouse.name,
            qty=f"{suggestion.suggested_qty.normalize():f}",
        ),
        body=joined(suggestion.reason),
        url="/fulfillment/stock/?q=" + level.product.code,
    )
