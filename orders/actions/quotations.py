"""The quotation actions, run by the one engine (core.actions; docs/architecture.md,
"The action engine"): entry, approval by the supervisor (and the director when the
rules say so), the customer's answer and the conversion into an order — plus linking
an order to the contract it was placed under.

Each action names its ``django_fsm`` transition and its predicate
(orders/predicates/quotations.py); the engine locks, checks, applies and writes the
approval record (QuotationEvent: 審批人、審批意見、審批時間) through the writer below.
Imported by ``OrdersConfig.ready()``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from core import roles
from core.actions import Step, action, perform, timeline_writer
from core.messages import MessageLike, Msg, join_messages
from core.roles import users_with_role
from core.services import notify_users
from orders.exceptions.quotations import (
    MSG_COMMENT_REQUIRED,
    MSG_CONTRACT_NOT_SIGNED,
    MSG_CONTRACT_OTHER_CUSTOMER,
    MSG_EXPIRED,
    MSG_NO_LINES,
    QuotationError,
    QuotationInvalid,
)
from orders.models import (
    ApprovalPolicy,
    Order,
    OrderLine,
    Product,
    Quotation,
    QuotationEvent,
    QuotationLine,
    QuotationStatus,
)
from orders.predicates import quotations as can

# The fields a quotation form edits (the rest is set by the steps).
EDITABLE_FIELDS = (
    "customer_id",
    "contact_name",
    "valid_until",
    "payment_terms",
    "delivery_terms",
    "terms",
)


timeline_writer(Quotation, QuotationEvent, fk="quotation")


def _notify(users: list[Any], *, title: MessageLike, body: MessageLike, q: Quotation) -> None:
    notify_users(users, title=title, body=body, target=q)


def quotation_recalculate_total(*, quotation: Quotation) -> Decimal:
    total = quotation.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    Quotation.objects.filter(pk=quotation.pk).update(total_amount=total)
    quotation.total_amount = total
    return total


def quotation_director_reasons(
    quotation: Quotation, policy: ApprovalPolicy | None = None
) -> list[str]:
    """Why the superior must approve as well, in the active language."""
    return [str(message) for message in quotation_director_messages(quotation, policy)]


def quotation_director_messages(
    quotation: Quotation, policy: ApprovalPolicy | None = None
) -> list[Msg]:
    """Why the superior must approve as well: total above the threshold, a price below the
    floor, a discount above the limit."""
    policy = policy or ApprovalPolicy.current()
    reasons = []
    lines = list(quotation.lines.select_related("product"))
    if quotation.total_amount > policy.director_threshold:
        reasons.append(
            Msg(
                _l("Total %(total)s is above %(threshold)s."),
                total=f"¥{quotation.total_amount:,.2f}",
                threshold=f"¥{policy.director_threshold:,.2f}",
            )
        )
    floor_share = (Decimal("100") - policy.max_below_list_percent) / Decimal("100")
    for line in lines:
        net = line.unit_price * (Decimal("100") - line.discount_percent) / Decimal("100")
        floor = (line.product.list_price * floor_share).quantize(Decimal("0.01"))
        if line.product.list_price > 0 and net < floor:
            reasons.append(
                Msg(
                    _l("%(product)s: net price %(price)s is below the price floor %(floor)s."),
                    product=line.product.name,
                    price=f"¥{net:,.2f}",
                    floor=f"¥{floor:,.2f}",
                )
            )
    return reasons


def _write(quotation: Quotation, *, fields: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Store the form's fields and replace the lines; the total follows the lines."""
    for name, value in fields.items():
        setattr(quotation, name, value)
    quotation.full_clean(exclude=["status", "number"])
    quotation.save()
    if not quotation.number:
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


@action("quotation.create", model=Quotation, predicate=can.may_create, creates=True)
def create(step: Step[Quotation]) -> Quotation:
    """A draft quotation with its lines; the maker owns it unless another owner is named.
    The number is given on first save."""
    fields = dict(step.params["fields"])
    quotation = Quotation(
        created_by=step.actor, owner_id=fields.pop("owner_id", None) or step.actor.pk
    )
    _write(quotation, fields=fields, lines=step.params["lines"])
    return quotation


@action(
    "quotation.edit",
    model=Quotation,
    predicate=can.may_edit,
    states=[QuotationStatus.DRAFT],
)
def edit(step: Step[Quotation]) -> Quotation:
    _write(step.obj, fields=step.params["fields"], lines=step.params["lines"])
    return step.obj


@action("quotation.submit", model=Quotation, predicate=can.may_submit, transition="submit")
def submit(step: Step[Quotation]) -> None:
    """To the sales supervisor; records now whether the superior must approve too."""
    q = step.obj
    if not q.lines.exists():
        raise QuotationError(MSG_NO_LINES, code="no_lines")
    q.director_reasons = "\n".join(quotation_director_reasons(q))
    step.transition()
    _notify(
        users_with_role(roles.SALES_MANAGER),
        title=Msg(_l("Quotation %(number)s waits for your approval"), number=q.number),
        body=q.customer.name,
        q=q,
    )


def _approved(step: Step[Quotation]) -> None:
    q = step.obj
    _notify(
        [q.owner, q.created_by],
        title=Msg(_l("Quotation %(number)s was approved"), number=q.number),
        body=step.note,
        q=q,
    )


@action("quotation.approve", model=Quotation, predicate=can.may_approve, transition="approve")
def approve(step: Step[Quotation]) -> None:
    """The supervisor's approval when nothing needs the director."""
    step.transition()
    _approved(step)


@action(
    "quotation.approve_to_director",
    model=Quotation,
    predicate=can.may_approve,
    transition="approve_to_director",
)
def approve_to_director(step: Step[Quotation]) -> None:
    """The supervisor's approval of a quotation the director must approve as well."""
    step.transition()
    q = step.obj
    _notify(
        users_with_role(roles.SALES_DIRECTOR),
        title=Msg(_l("Quotation %(number)s waits for your final approval"), number=q.number),
        body=join_messages(*quotation_director_messages(q)),
        q=q,
    )


@action(
    "quotation.director_approve",
    model=Quotation,
    predicate=can.may_director_approve,
    transition="director_approve",
)
def director_approve(step: Step[Quotation]) -> None:
    step.transition()
    _approved(step)


@action("quotation.send_back", model=Quotation, predicate=can.may_send_back, transition="send_back")
def send_back(step: Step[Quotation]) -> None:
    if not step.note:
        raise QuotationInvalid(
            MSG_COMMENT_REQUIRED, fields={"comment": [str(MSG_COMMENT_REQUIRED)]}
        )
    step.transition()
    q = step.obj
    _notify(
        [q.owner, q.created_by],
        title=Msg(_l("Quotation %(number)s was sent back"), number=q.number),
        body=step.note,
        q=q,
    )


@action("quotation.accept", model=Quotation, predicate=can.may_record_answer, transition="accept")
def accept(step: Step[Quotation]) -> None:
    """The customer accepted the approved quotation, within its validity."""
    if step.obj.is_expired:
        raise QuotationError(
            MSG_EXPIRED % {"date": step.obj.valid_until.isoformat()}, code="expired"
        )


@action("quotation.decline", model=Quotation, predicate=can.may_record_answer, transition="decline")
def decline(step: Step[Quotation]) -> None:
    pass


@action("quotation.convert", model=Quotation, predicate=can.may_convert, transition="convert")
def convert(step: Step[Quotation]) -> Order:
    """One click: a draft order with the quotation's lines and terms; both keep the link.

    The order is created by the orders' own action (its timeline starts there) and then
    goes through its intake review and approval (docs/workflow.md §4): a quotation is a price
    offer, not a checked order.
    """
    q = step.obj
    step.transition()
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
    )
    lines = [
        OrderLine(
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
    order = perform(
        "order.create",
        actor=step.actor,
        obj=None,
        note=Msg(_l("Created from quotation %(number)s."), number=q.number),
        order=order,
        lines=_NewLines(lines),
    )
    q.order = order
    q.save(update_fields=["order"])
    return order


class _NewLines:
    """New order lines in the shape ``order.create`` takes (a saved inline formset:
    ``instance``, ``save(commit=False)``, ``deleted_objects``)."""

    def __init__(self, lines: list[OrderLine]) -> None:
        self.lines = lines
        self.instance: Order | None = None
        self.deleted_objects: list[OrderLine] = []

    def save(self, commit: bool = True) -> list[OrderLine]:
        return self.lines


# --- an order's contract ---------------------------------------------------------------


@action("order.link_contract", model=Order, predicate=can.may_link_contract, event="note")
def link_contract(step: Step[Order]) -> Order:
    """Link the order to the contract it was placed under (or unlink with None). A write
    on the order: the engine refuses it on an archived order (read-only, 409)."""
    from contracts.models import ContractStatus

    order, contract = step.obj, step.params.get("contract")
    if contract is not None:
        if contract.customer_id != order.customer_id:
            raise QuotationError(MSG_CONTRACT_OTHER_CUSTOMER, code="other_customer")
        if contract.status not in (ContractStatus.SIGNED, ContractStatus.IN_FORCE):
            raise QuotationError(MSG_CONTRACT_NOT_SIGNED, code="not_signed")
    Order.objects.filter(pk=order.pk).update(contract=contract)
    order.contract = contract
    step.set_note(
        Msg(_l("Linked to contract %(number)s."), number=contract.number)
        if contract is not None
        else Msg(_l("Contract link removed."))
    )
    return order
