"""Quotation operations: entry, approval (supervisor, then director when the rules say so),
the customer's answer, and the one-click conversion into an order.

Each runs in one transaction, locks the quotation, runs its ``django_fsm``
transition (role and four eyes live there) and writes a QuotationEvent — the
approval record of seed 002 (審批人、審批意見、審批時間).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed, has_transition_perm

from core import roles
from core.roles import users_with_role
from core.services import notify_users
from customers.models import Customer
from orders.models import (
    ApprovalPolicy,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    Product,
)
from orders.quotations import Quotation, QuotationEvent, QuotationLine, QuotationStatus
from orders.services import order_recalculate_total

MSG_WRONG_STATE = gettext_lazy("This quotation is “%(status)s”; that step is not possible now.")
MSG_NOT_ALLOWED = gettext_lazy("You are not allowed to take this step on this quotation.")
MSG_NO_LINES = gettext_lazy("Add at least one line before submitting the quotation.")
MSG_NOT_EDITABLE = gettext_lazy("Only a draft quotation can be edited.")
MSG_COMMENT_REQUIRED = gettext_lazy("Please give a comment.")
MSG_EXPIRED = gettext_lazy("The quotation expired on %(date)s; make a new one.")

# Sent when a quotation PDF has been generated for someone: the archive registers the copy.
quotation_pdf_generated = Signal()  # sender=Quotation, quotation, pdf (bytes), user


class QuotationError(Exception):
    def __init__(self, message: object, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


class QuotationPermissionDenied(QuotationError):
    def __init__(self) -> None:
        super().__init__(MSG_NOT_ALLOWED, code="not_allowed")


def _event(
    q: Quotation, *, actor: Any, action: str, from_status: str = "", comment: str = ""
) -> None:
    QuotationEvent.objects.create(
        quotation=q,
        action=action,
        from_status=from_status,
        to_status=q.status,
        actor=actor,
        comment=comment,
    )


def _locked(q: Quotation) -> Quotation:
    return Quotation.objects.select_for_update().select_related("customer").get(pk=q.pk)


def _run(q: Quotation, name: str, actor: Any, *, comment: str = "") -> Quotation:
    method = getattr(q, name)
    if not can_proceed(method, check_conditions=False):
        raise QuotationError(
            MSG_WRONG_STATE % {"status": q.get_status_display()}, code="wrong_state"
        )
    if not has_transition_perm(method, actor):
        raise QuotationPermissionDenied()
    from_status = q.status
    method()
    q.save()
    _event(q, actor=actor, action=name, from_status=from_status, comment=comment)
    return q


def _notify(users: list[Any], *, title: str, body: str, q: Quotation) -> None:
    notify_users(users, title=title, body=body, target=q)


_role_users = users_with_role


def quotation_recalculate_total(*, quotation: Quotation) -> Decimal:
    total = quotation.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    Quotation.objects.filter(pk=quotation.pk).update(total_amount=total)
    quotation.total_amount = total
    return total


def quotation_director_reasons(
    quotation: Quotation, policy: ApprovalPolicy | None = None
) -> list[str]:
    """Why the superior must approve as well: total above the threshold, a price below the
    floor, a discount above the limit (one aggregate query over the lines)."""
    policy = policy or ApprovalPolicy.current()
    reasons = []
    lines = list(quotation.lines.select_related("product"))
    if quotation.total_amount > policy.director_threshold:
        reasons.append(
            _("Total %(total)s is above %(threshold)s.")
            % {
                "total": f"¥{quotation.total_amount:,.2f}",
                "threshold": f"¥{policy.director_threshold:,.2f}",
            }
        )
    floor_share = (Decimal("100") - policy.max_below_list_percent) / Decimal("100")
    for line in lines:
        net = line.unit_price * (Decimal("100") - line.discount_percent) / Decimal("100")
        floor = (line.product.list_price * floor_share).quantize(Decimal("0.01"))
        if line.product.list_price > 0 and net < floor:
            reasons.append(
                _("%(product)s: net price %(price)s is below the price floor %(floor)s.")
                % {"product": line.product.name, "price": f"¥{net:,.2f}", "floor": f"¥{floor:,.2f}"}
            )
    return reasons


@transaction.atomic
def quotation_save(
    *,
    actor: Any,
    quotation: Quotation,
    lines: list[dict[str, Any]],
) -> Quotation:
    """Create or edit a draft quotation with its lines (a list of dicts: product, quantity,
    unit_price, discount_percent, spec, unit). The number is given on first save."""
    creating = quotation.pk is None
    if creating:
        if not actor.has_perm("orders.add_quotation"):
            raise QuotationPermissionDenied()
        quotation.created_by = actor
        if quotation.owner_id is None:
            quotation.owner = actor
    else:
        stored = _locked(quotation)
        if stored.status != QuotationStatus.DRAFT:
            raise QuotationError(MSG_NOT_EDITABLE, code="not_editable")
        if actor.pk not in (stored.created_by_id, stored.owner_id):
            raise QuotationPermissionDenied()
    quotation.full_clean(exclude=["status", "number"])
    quotation.save()
    if creating:
        quotation.number = f"BJ{timezone.localdate():%Y%m}-{quotation.pk:04d}"
        quotation.save(update_fields=["number"])
    quotation.lines.all().delete()
    for position, data in enumerate(lines, start=1):
        product: Product = data["product"]
        line = QuotationLine(
            quotation=quotation,
            position=position,
            product=product,
            spec=data.get("spec") or product.spec,
            quantity=data["quantity"],
            unit=data.get("unit") or product.unit,
            unit_price=data.get("unit_price", product.list_price),
            discount_percent=data.get("discount_percent") or Decimal("0"),
        )
        line.full_clean(exclude=["quotation"])
        line.save()
    quotation_recalculate_total(quotation=quotation)
    _event(quotation, actor=actor, action="create" if creating else "edit")
    return quotation


@transaction.atomic
def quotation_create(
    *,
    actor: Any,
    customer: Customer,
    valid_until: date,
    lines: list[dict[str, Any]],
    payment_terms: str = "",
    delivery_terms: str = "",
    terms: str = "",
    contact_name: str = "",
) -> Quotation:
    quotation = Quotation(
        customer=customer,
        valid_until=valid_until,
        payment_terms=payment_terms,
        delivery_terms=delivery_terms,
        terms=terms,
        contact_name=contact_name,
    )
    return quotation_save(actor=actor, quotation=quotation, lines=lines)


@transaction.atomic
def quotation_submit(*, actor: Any, quotation: Quotation, comment: str = "") -> Quotation:
    """To the sales supervisor; records now whether the superior must approve too."""
    q = _locked(quotation)
    if not q.lines.exists():
        raise QuotationError(MSG_NO_LINES, code="no_lines")
    q.director_reasons = "\n".join(quotation_director_reasons(q))
    q = _run(q, "submit", actor, comment=comment)
    _notify(
        _role_users(roles.SALES_MANAGER),
        title=_("Quotation %(number)s waits for your approval") % {"number": q.number},
        body=q.customer.name,
        q=q,
    )
    return q


@transaction.atomic
def quotation_approve(*, actor: Any, quotation: Quotation, comment: str = "") -> Quotation:
    """The supervisor's approval (or the superior's, when it is waiting for them)."""
    q = _locked(quotation)
    if q.status == QuotationStatus.PENDING_DIRECTOR:
        q = _run(q, "director_approve", actor, comment=comment)
    elif q.director_reasons:
        q = _run(q, "approve_to_director", actor, comment=comment)
        _notify(
            _role_users(roles.SALES_DIRECTOR),
            title=_("Quotation %(number)s waits for your final approval") % {"number": q.number},
            body=q.director_reasons,
            q=q,
        )
        return q
    else:
        q = _run(q, "approve", actor, comment=comment)
    _notify(
        [q.owner, q.created_by],
        title=_("Quotation %(number)s was approved") % {"number": q.number},
        body=comment,
        q=q,
    )
    return q


@transaction.atomic
def quotation_send_back(*, actor: Any, quotation: Quotation, comment: str) -> Quotation:
    comment = (comment or "").strip()
    if not comment:
        raise QuotationError(MSG_COMMENT_REQUIRED, code="comment_required")
    q = _run(_locked(quotation), "send_back", actor, comment=comment)
    _notify(
        [q.owner, q.created_by],
        title=_("Quotation %(number)s was sent back") % {"number": q.number},
        body=comment,
        q=q,
    )
    return q


@transaction.atomic
def quotation_accept(*, actor: Any, quotation: Quotation, comment: str = "") -> Quotation:
    """The customer accepted the approved quotation (within its validity)."""
    q = _locked(quotation)
    if q.status == QuotationStatus.APPROVED and q.is_expired:
        raise QuotationError(MSG_EXPIRED % {"date": q.valid_until.isoformat()}, code="expired")
    return _run(q, "accept", actor, comment=comment)


@transaction.atomic
def quotation_decline(*, actor: Any, quotation: Quotation, comment: str = "") -> Quotation:
    return _run(_locked(quotation), "decline", actor, comment=comment)


@transaction.atomic
def quotation_convert(*, actor: Any, quotation: Quotation) -> Order:
    """One click: a draft order with the quotation's lines and terms; both keep the link.

    The order then goes through its own intake review and approval (DESIGN.md §4):
    a quotation is a price offer, not a checked order.
    """
    q = _locked(quotation)
    _run(q, "convert", actor)
    customer = q.customer
    contact = customer.contacts.filter(is_primary=True).first() or customer.contacts.first()
    address = customer.addresses.filter(is_default=True).first() or customer.addresses.first()
    order = Order(
        customer=customer,
        contact_name=q.contact_name or (contact.name if contact else ""),
        contact_phone=contact.best_phone if contact else "",
        payment_terms=q.payment_terms,
        delivery_address=address.address if address else "",
        delivery_postcode=address.postcode if address else "",
        special_requirements="\n".join(filter(None, [q.delivery_terms, q.terms])),
        owner=q.owner,
        created_by=actor,
    )
    order.full_clean(exclude=["status"])
    order.save()
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=line.position,
                product_id=line.product_id,
                spec=line.spec,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
            )
            for line in q.lines.all()
        ]
    )
    order_recalculate_total(order=order)
    q.order = order
    q.save(update_fields=["order"])
    OrderEvent.objects.create(
        order=order,
        kind=OrderEventKind.CREATED,
        actor=actor,
        note=_("Created from quotation %(number)s.") % {"number": q.number},
    )
    return order


MSG_CONTRACT_OTHER_CUSTOMER = gettext_lazy("The contract belongs to another customer.")
MSG_CONTRACT_NOT_SIGNED = gettext_lazy("Only a signed or in-force contract can be linked.")


@transaction.atomic
def order_contract_link(*, actor: Any, order: Order, contract: Any | None) -> Order:
    """Link ``order`` to the contract it was placed under (or unlink with None)."""
    from customers.contracts import ContractStatus

    if not (
        actor.has_perm("orders.change_order")
        or actor.has_perm("orders.approve_order")
        or actor.pk in (order.owner_id, order.created_by_id)
    ):
        raise QuotationPermissionDenied()
    order = Order.objects.select_for_update().get(pk=order.pk)
    if contract is not None:
        if contract.customer_id != order.customer_id:
            raise QuotationError(MSG_CONTRACT_OTHER_CUSTOMER, code="other_customer")
        if contract.status not in (ContractStatus.SIGNED, ContractStatus.IN_FORCE):
            raise QuotationError(MSG_CONTRACT_NOT_SIGNED, code="not_signed")
    Order.objects.filter(pk=order.pk).update(contract=contract)
    order.contract = contract
    OrderEvent.objects.create(
        order=order,
        kind=OrderEventKind.NOTE,
        actor=actor,
        note=(
            _("Linked to contract %(number)s.") % {"number": contract.number}
            if contract is not None
            else _("Contract link removed.")
        ),
    )
    return order
