"""The after-sales actions: every write of acceptance, tickets, repairs, replacements,
refunds and follow-up visits, run by the one engine (core.actions; docs/architecture.md §2).

Each action is declared once — its transition or the states it runs in, its predicate
(aftersales/predicates.py) and its effect — and :func:`core.actions.perform` runs it:
the order is locked first (every action here has the order as its root, so an archived
order refuses all of them), then the ticket or replacement; the state and the predicate
are checked; the effect runs; one row goes on the order's timeline. Composite steps are
nested actions in the same transaction:

* recording the acceptance (``aftersales.acceptance_record``) runs the order's
  ``accept`` transition (``aftersales.accept``), reports each issue
  (``aftersales.issue_report``) and opens its ticket (``aftersales.ticket_open``), in
  that order, so the timeline reads: accepted, issue, ticket;
* responding with a replacement (换货) plans it (``aftersales.replacement_plan``): which
  order line, what is replaced, how many; logistics ships it, the customer's receipt is
  confirmed, or it is cancelled with a reason — and the ticket is resolved only when
  none is still on its way (docs/workflow.md §8 H);
* resolving the last ticket or logging the follow-up visit completes the order when
  nothing else blocks it (``order.complete``, performed by the hook at the end of this
  module, after the step's own timeline row).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from aftersales.exceptions import (
    MSG_ACCEPTANCE_REQUIRED,
    MSG_ARCHIVE_REPLACEMENT_UNDERWAY,
    MSG_BAD_IMAGE,
    MSG_CANCEL_REASON,
    MSG_ISSUE_REQUIRED,
    MSG_NOT_AFTERSALES,
    MSG_NOT_REPLACEMENT,
    MSG_QUANTITY_RANGE,
    MSG_REFUND_REQUIRED,
    MSG_REPLACEMENT_QUANTITY,
    MSG_REPLACEMENT_REQUIRED,
    MSG_REPLACEMENTS_UNDERWAY,
    MSG_TICKET_CLOSED,
    MSG_VISIT_EXISTS,
    AftersalesError,
    ReplacementUnderway,
)
from aftersales.models import (
    OPEN_TICKET_STATUSES,
    UNDERWAY_REPLACEMENT_STATUSES,
    Acceptance,
    AcceptanceIssue,
    AcceptanceLine,
    AftersalesTicket,
    FollowUpVisit,
    IssuePhoto,
    IssueType,
    LineResult,
    RepairRecord,
    ReplacementShipment,
    ReplacementStatus,
    TicketKind,
    TicketResponse,
    TicketSource,
    TicketStatus,
    VisitMethod,
)
from aftersales.predicates import (
    may_cancel_replacement,
    may_confirm_replacement,
    may_handle_ticket,
    may_log_visit,
    may_open_ticket,
    may_plan_replacement,
    may_rate_ticket,
    may_record_acceptance,
    may_ship_replacement,
)
from aftersales.selectors import completion_blockers
from core import roles
from core.actions import Step, action, on, perform
from core.messages import MessageLike, Msg, date_param
from core.models import SlaClock, SlaKind
from core.people import person_name
from core.services import notify_users, sla_clock_cancel, sla_clock_meet, sla_clock_start
from core.uploads import DOCUMENT_KINDS, IMAGE_KINDS, safe_original_name, validate_upload
from fulfillment.selectors import order_account_manager
from orders.models import Order, OrderEventKind, OrderLine, OrderStatus

RESPONSE_HOURS = 24
FOLLOWUP_WORKING_DAYS = 3
THUMBNAIL_SIZE = (320, 320)
# Orders a customer can complain about: the goods have arrived (a completed order too:
# a complaint does not reopen it).
COMPLAINABLE_STATUSES = (OrderStatus.DELIVERED, OrderStatus.ACCEPTED, OrderStatus.COMPLETED)

# The ticket kind an acceptance issue opens as; after-sales may change it on response.
KIND_FOR_ISSUE = {
    IssueType.DAMAGED_PACKAGING: TicketKind.REPLACEMENT,
    IssueType.QUANTITY_SHORT: TicketKind.REPLACEMENT,
    IssueType.WRONG_SPEC: TicketKind.REPLACEMENT,
    IssueType.QUALITY: TicketKind.REPAIR,
    IssueType.OTHER: TicketKind.OTHER,
}


@dataclass
class LineInput:
    """What the account manager records for one order line at acceptance."""

    order_line_id: int
    result: str
    quantity: Decimal
    issue_type: str = ""
    description: str = ""
    photos: list[Any] = field(default_factory=list)


# --- helpers --------------------------------------------------------------------------------
def _staff(actor: Any) -> User | None:
    """The user to record as having done a step, or None when the customer did it online
    (customer_portal's link actor is no user: the timeline names the contact)."""
    return actor if isinstance(actor, User) else None


def _by_customer(step: Step[Any]) -> None:
    """A step the customer took online: its timeline row keeps who (contact, link, IP,
    browser, time), as every customer step does (customer_portal)."""
    record = getattr(step.actor, "record", None)
    if _staff(step.actor) is None and callable(record):
        step.payload.setdefault("customer", record())


def _note(
    step: Step[Any], action_name: str, text: MessageLike, kind: str = OrderEventKind.NOTE
) -> None:
    """What the order's timeline says about this step (one row, written by the engine):
    a language-neutral message (core.messages), rendered in each reader's language."""
    step.event_action = action_name
    step.event_kind = kind
    step.set_note(text)


def _account_manager(order: Order) -> Any:
    """The order's named account manager, chosen at confirmation (fulfillment): every
    customer-facing step and notice follows that person."""
    return order_account_manager(order)


def _escalation_manager() -> Any:
    """Who a missed after-sales deadline escalates to: the first active sales manager."""
    managers = roles.users_with_role(roles.SALES_MANAGER)
    return managers[0] if managers else None


def _end_of_day(day: date) -> datetime:
    """A promised date is kept until the end of that day (local time)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def make_thumbnail(upload: Any) -> ContentFile[bytes]:
    """A small JPEG of the uploaded image (EXIF rotation applied) for lists and documents."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as original:
            original.load()
            image = ImageOps.exif_transpose(original).convert("RGB")
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(MSG_BAD_IMAGE, code="bad_image") from exc
    finally:
        upload.seek(0)
    return ContentFile(out.getvalue())


def photo_validate(upload: Any) -> None:
    """A photo must be a real JPEG/PNG (name and content agree), within the size limit, and
    readable by Pillow — a renamed executable is refused before anything is stored."""
    validate_upload(upload, kinds=IMAGE_KINDS)
    make_thumbnail(upload)


def _photo_save(*, issue: AcceptanceIssue, upload: Any, actor: User | None) -> IssuePhoto:
    thumb = make_thumbnail(upload)
    photo = IssuePhoto(
        issue=issue,
        original_name=safe_original_name(upload.name or "photo.jpg"),
        size=upload.size,
        uploaded_by=actor,
    )
    photo.image.save(upload.name or "photo.jpg", upload, save=False)
    photo.thumbnail.save("thumb.jpg", thumb, save=False)
    photo.save()
    return photo


def _default_ticket_owner(fallback: Any) -> Any:
    """The after-sales person with the fewest open tickets (ties: the longest-serving)."""
    person = (
        get_user_model()
        .objects.filter(groups__name=roles.AFTERSALES, is_active=True)
        .annotate(
            open_count=Count(
                "aftersales_tickets",
                filter=Q(aftersales_tickets__status__in=OPEN_TICKET_STATUSES),
                distinct=True,
            )
        )
        .order_by("open_count", "pk")
        .first()
    )
    return person or fallback


def _check_lines(order: Order, lines: list[LineInput]) -> None:
    by_id = {line.pk: line for line in order.lines.select_related("product")}
    errors: list[ValidationError] = []
    seen = set()
    for item in lines:
        order_line = by_id.get(item.order_line_id)
        if order_line is None or item.order_line_id in seen:
            raise ValidationError(_("Unknown order line."), code="unknown_line")
        seen.add(item.order_line_id)
        if item.quantity is None or not (0 <= item.quantity <= order_line.quantity):
            errors.append(
                ValidationError(
                    MSG_QUANTITY_RANGE
                    % {
                        "product": order_line.product.name,
                        "ordered": f"{order_line.quantity.normalize():f}",
                    },
                    code="quantity",
                )
            )
        if item.result != LineResult.ACCEPTED and not (
            item.issue_type and item.description.strip()
        ):
            errors.append(ValidationError(MSG_ISSUE_REQUIRED, code="issue_required"))
        for photo in item.photos:
            photo_validate(photo)
    if seen != set(by_id):
        errors.append(ValidationError(_("Record a result for every order line."), code="lines"))
    if errors:
        raise ValidationError(errors)


# --- acceptance -----------------------------------------------------------------------------
@action(
    "aftersales.acceptance_record",
    model=Order,
    states=(OrderStatus.DELIVERED,),
    predicate=may_record_acceptance,
    # Its parts write the timeline: the order's accept transition, each issue, each ticket.
    records=False,
)
def acceptance_record(step: Step[Order]) -> Acceptance:
    """The customer accepted the delivery: signer, date, signed receipt, each line's result.

    Every line accepted with exceptions or rejected becomes an acceptance issue with its
    photos, and each issue opens an after-sales ticket at once — the order itself still
    moves to accepted: no earlier step (shipment, preparation) is reopened. Params:
    ``signer``, ``signed_on``, ``receipt``, ``lines`` (:class:`LineInput`); the step's
    note is the acceptance's note.
    """
    order = step.obj
    signer = (step.params.get("signer") or "").strip()
    signed_on: date = step.params["signed_on"]
    receipt = step.params.get("receipt")
    lines: list[LineInput] = list(step.params.get("lines") or [])
    if not signer:
        raise ValidationError({"signer": [_("Who signed for the customer?")]})
    if receipt is None:
        raise ValidationError({"receipt": [_("Upload the signed receipt.")]})
    validate_upload(receipt, kinds=DOCUMENT_KINDS)
    _check_lines(order, lines)

    acceptance = Acceptance(
        order=order,
        signer=signer,
        signed_on=signed_on,
        receipt_name=safe_original_name(receipt.name or "receipt"),
        note=step.note,
        recorded_by=_staff(step.actor),
    )
    acceptance.receipt.save(receipt.name or "receipt.pdf", receipt, save=False)
    acceptance.full_clean(exclude=["receipt"])
    acceptance.save()
    with_issue: list[tuple[AcceptanceLine, LineInput]] = []
    for item in lines:
        line = AcceptanceLine.objects.create(
            acceptance=acceptance,
            order_line_id=item.order_line_id,
            result=item.result,
            quantity=item.quantity,
        )
        if item.result != LineResult.ACCEPTED:
            with_issue.append((line, item))

    rejected = sum(item.result == LineResult.REJECTED for item in lines)
    summary = Msg(
        _l("Signed by %(signer)s on %(date)s; %(issues)s issue(s), %(rejected)s line(s) rejected."),
        signer=signer,
        date=date_param(signed_on),
        issues=len(with_issue),
        rejected=rejected,
    )
    perform("aftersales.accept", actor=step.actor, obj=order, note=summary)
    for line, item in with_issue:
        issue = perform(
            "aftersales.issue_report",
            actor=step.actor,
            obj=order,
            line=line,
            issue_type=item.issue_type,
            description=item.description,
            photos=item.photos,
        )
        perform(
            "aftersales.ticket_open",
            actor=step.actor,
            obj=order,
            source=TicketSource.ACCEPTANCE,
            kind=KIND_FOR_ISSUE.get(issue.issue_type, TicketKind.OTHER),
            description=issue.description,
            issue=issue,
        )
    if with_issue:
        notify_users(
            [_escalation_manager()],
            title=Msg(
                _l("Order %(number)s accepted with %(count)s issue(s)"),
                number=order.number,
                count=len(with_issue),
            ),
            body=order.customer.name,
            target=order,
        )
    return acceptance


@action(
    "aftersales.accept",
    model=Order,
    transition="accept",
    predicate=may_record_acceptance,
)
def accept(step: Step[Order]) -> None:
    """delivered → accepted, once the signed acceptance is on file; starts the
    3-working-day follow-up clock of the order's account manager."""
    order = step.obj
    if not Acceptance.objects.filter(order=order).exists():
        raise AftersalesError(MSG_ACCEPTANCE_REQUIRED, code="no_acceptance")
    _by_customer(step)
    step.transition()
    sla_clock_start(
        target=order,
        kind=SlaKind.FOLLOWUP_VISIT,
        owner=_account_manager(order),
        working_days=FOLLOWUP_WORKING_DAYS,
        escalate_to=_escalation_manager(),
        note=Msg(_l("Follow-up visit within 3 working days of acceptance.")),
    )


@action(
    "aftersales.issue_report",
    model=AcceptanceIssue,
    creates=True,
    root="acceptance.order",
    predicate=may_record_acceptance,
)
def issue_report(step: Step[AcceptanceIssue]) -> AcceptanceIssue:
    """An issue the customer raised at acceptance (验收问题) on one line, with its photos.
    ``obj`` is the order; params: ``line`` (AcceptanceLine), ``issue_type``,
    ``description``, ``photos``."""
    line: AcceptanceLine = step.params["line"]
    _by_customer(step)
    if line.acceptance.order_id != step.root.pk:
        raise AftersalesError(_("Unknown order line."), code="unknown_line")
    issue = AcceptanceIssue(
        acceptance=line.acceptance,
        line=line,
        issue_type=step.params["issue_type"],
        description=(step.params.get("description") or "").strip(),
    )
    issue.full_clean()
    issue.save()
    for upload in step.params.get("photos") or []:
        _photo_save(issue=issue, upload=upload, actor=_staff(step.actor))
    _note(
        step,
        "acceptance_issue",
        Msg(
            _l("Acceptance issue (%(type)s) %(line)s: %(description)s"),
            type=IssueType(issue.issue_type),
            line=str(line.order_line.product),
            description=issue.description,
        ),
    )
    return issue


# --- tickets --------------------------------------------------------------------------------
@action(
    "aftersales.ticket_open",
    model=Order,
    states=COMPLAINABLE_STATUSES,
    predicate=may_open_ticket,
)
def ticket_open(step: Step[Order]) -> AftersalesTicket:
    """Open a ticket on the order: from an acceptance issue, or from a customer complaint
    (客户投诉受理) about delivered goods. The order's status is left alone — a complaint
    about a completed order does not reopen it. Starts the 24-hour response clock and
    tells the owner. Params: ``source``, ``kind``, ``description``; optional ``issue``,
    ``owner`` (someone of after-sales), ``customer_request``."""
    order = step.obj
    description = (step.params.get("description") or "").strip()
    if not description:
        raise ValidationError({"description": [_("Describe the customer's problem.")]})
    owner = step.params.get("owner")
    if owner is not None and not roles.has_role(owner, roles.AFTERSALES):
        raise AftersalesError(MSG_NOT_AFTERSALES, code="owner")
    sequence = AftersalesTicket.objects.filter(order=order).count() + 1
    _by_customer(step)
    # Opened by the customer online: no one of the staff to fall back on but the order's
    # account manager (or its sales owner) when no one has the after-sales role.
    fallback = _staff(step.actor) or _account_manager(order) or order.owner
    ticket = AftersalesTicket(
        number=f"{order.number or order.pk}-S{sequence:02d}",
        order=order,
        issue=step.params.get("issue"),
        source=step.params.get("source") or TicketSource.COMPLAINT,
        kind=step.params["kind"],
        description=description,
        customer_request=step.params.get("customer_request") or "",
        owner=owner or _default_ticket_owner(fallback),
        opened_by=_staff(step.actor),
    )
    ticket.full_clean(exclude=["status"])  # the transitions own it (protected)
    ticket.save()
    sla_clock_start(
        target=ticket,
        kind=SlaKind.AFTERSALES_RESPONSE,
        owner=ticket.owner,
        hours=RESPONSE_HOURS,
        escalate_to=_escalation_manager(),
        note=Msg(_l("Respond to the customer within 24 hours.")),
    )
    _note(
        step,
        "ticket_opened",
        Msg(
            _l("After-sales ticket %(number)s opened (%(kind)s): %(description)s"),
            number=ticket.number,
            kind=TicketKind(ticket.kind),
            description=description,
        ),
    )
    notify_users(
        [ticket.owner],
        title=Msg(
            _l("After-sales ticket %(number)s: please respond within 24 hours"),
            number=ticket.number,
        ),
        body=description,
        target=order,
    )
    return ticket


@action(
    "aftersales.ticket_assign",
    model=AftersalesTicket,
    root="order",
    states=OPEN_TICKET_STATUSES,
    predicate=may_handle_ticket,
)
def ticket_assign(step: Step[AftersalesTicket]) -> AftersalesTicket:
    """Hand a ticket to another after-sales person; its running clocks follow the owner.
    Params: ``owner``."""
    ticket = step.obj
    owner = step.params["owner"]
    if not roles.has_role(owner, roles.AFTERSALES):
        raise AftersalesError(MSG_NOT_AFTERSALES, code="owner")
    ticket.owner = owner
    ticket.save(update_fields=["owner"])
    SlaClock.objects.open().for_target(ticket).update(owner=owner)
    _note(
        step,
        "ticket_assigned",
        Msg(
            _l("Ticket %(number)s handed to %(owner)s."),
            number=ticket.number,
            owner=person_name(owner),
        ),
    )
    notify_users(
        [owner],
        title=Msg(_l("After-sales ticket %(number)s is now yours"), number=ticket.number),
        body=ticket.description,
        target=ticket.order,
    )
    return ticket


def _set_promised_date(ticket: AftersalesTicket, promised: date) -> None:
    if promised < timezone.localdate():
        raise ValidationError({"promised_date": [_("The promised date cannot be in the past.")]})
    if promised == ticket.promised_date:
        return
    ticket.promised_date = promised
    # A new promise replaces the old deadline (history keeps the cancelled clock).
    sla_clock_cancel(target=ticket, kind=SlaKind.AFTERSALES_RESOLUTION)
    sla_clock_start(
        target=ticket,
        kind=SlaKind.AFTERSALES_RESOLUTION,
        owner=ticket.owner,
        due_at=_end_of_day(promised),
        escalate_to=_escalation_manager(),
        note=Msg(_l("Resolve by the date promised to the customer.")),
    )


@action(
    "aftersales.ticket_respond",
    model=AftersalesTicket,
    root="order",
    transition="respond",
    predicate=may_handle_ticket,
)
def ticket_respond(step: Step[AftersalesTicket]) -> TicketResponse:
    """Log a response. The first one meets the 24-hour response clock (售后部门需在24小时内
    响应) and takes the ticket into progress; a response may settle the kind (repair /
    replacement / refund) and the promised resolution date, which starts the resolution
    clock. A response that settles a replacement names it — ``replacement_line`` (an order
    line of the order), ``replacement_quantity``, ``replacement_item`` — unless the ticket
    already has one that is not cancelled. Params: ``text``; optional ``kind``,
    ``promised_date`` and the three above."""
    ticket = step.obj
    text = (step.params.get("text") or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the response.")]})
    response = TicketResponse.objects.create(ticket=ticket, text=text, author=step.actor)
    if ticket.first_response_at is None:
        ticket.first_response_at = response.created_at
        sla_clock_meet(target=ticket, kind=SlaKind.AFTERSALES_RESPONSE, at=response.created_at)
    kind = step.params.get("kind")
    if kind and kind != ticket.kind:
        ticket.kind = kind
    promised = step.params.get("promised_date")
    if promised is not None:
        _set_promised_date(ticket, promised)
    ticket.full_clean(exclude=["status"])  # the transitions own it (protected)
    step.transition()
    line = step.params.get("replacement_line")
    if ticket.kind == TicketKind.REPLACEMENT:
        live = ticket.replacements.exclude(status=ReplacementStatus.CANCELLED).exists()
        if line is not None or not live:
            if line is None:
                raise ValidationError({"replacement_line": [MSG_REPLACEMENT_REQUIRED]})
            perform(
                "aftersales.replacement_plan",
                actor=step.actor,
                obj=ticket,
                order_line=line,
                quantity=step.params.get("replacement_quantity"),
                item=step.params.get("replacement_item") or "",
            )
    _note(
        step,
        "ticket_response",
        Msg(
            _l("Ticket %(number)s (%(kind)s): %(text)s"),
            number=ticket.number,
            kind=TicketKind(ticket.kind),
            text=text,
        ),
    )
    return response


@action(
    "aftersales.repair_record",
    model=AftersalesTicket,
    root="order",
    states=OPEN_TICKET_STATUSES,
    predicate=may_handle_ticket,
)
def repair_record(step: Step[AftersalesTicket]) -> RepairRecord:
    """维修记录: who repaired, what was done, the parts and the result. Params:
    ``technician``, ``work_done``, ``result``; optional ``fault``, ``parts``,
    ``repair_date``."""
    ticket = step.obj
    record = RepairRecord(
        ticket=ticket,
        technician=step.params.get("technician") or "",
        work_done=step.params.get("work_done") or "",
        result=step.params.get("result") or "",
        fault=step.params.get("fault") or "",
        parts=step.params.get("parts") or "",
        repair_date=step.params.get("repair_date") or timezone.localdate(),
        recorded_by=step.actor,
    )
    record.full_clean()
    record.save()
    _note(
        step,
        "repair_record",
        Msg(
            _l("Repair on ticket %(number)s by %(technician)s: %(result)s"),
            number=ticket.number,
            technician=record.technician,
            result=record.result,
        ),
    )
    return record


# --- replacements ---------------------------------------------------------------------------
def replacement_label(replacement: ReplacementShipment) -> str:
    """How a replacement is named to people: "服务器A型 外箱 × 1"."""
    line = replacement.order_line
    product = line.product.name if line is not None else "—"
    item = f" {replacement.item}" if replacement.item else ""
    return f"{product}{item} × {replacement.quantity.normalize():f}"


def _logistics_people() -> list[Any]:
    return roles.users_with_role(roles.LOGISTICS)


@action(
    "aftersales.replacement_plan",
    model=AftersalesTicket,
    root="order",
    states=OPEN_TICKET_STATUSES,
    predicate=may_plan_replacement,
)
def replacement_plan(step: Step[AftersalesTicket]) -> ReplacementShipment:
    """A replacement ticket names what is replaced: an order line of the order, what of it
    (the whole unit, or a part such as the outer carton) and how many — never the whole
    line by default. Logistics is told there is something to ship. Params:
    ``order_line`` (OrderLine), ``quantity``; optional ``item``."""
    ticket = step.obj
    if ticket.kind != TicketKind.REPLACEMENT:
        raise AftersalesError(MSG_NOT_REPLACEMENT, code="kind")
    line = step.params.get("order_line")
    if not isinstance(line, OrderLine) or line.order_id != step.root.pk:
        raise ValidationError({"replacement_line": [MSG_REPLACEMENT_REQUIRED]})
    quantity = step.params.get("quantity")
    if quantity is None or not (Decimal("0") < quantity <= line.quantity):
        raise ValidationError(
            {
                "replacement_quantity": [
                    MSG_REPLACEMENT_QUANTITY
                    % {"product": line.product.name, "ordered": f"{line.quantity.normalize():f}"}
                ]
            }
        )
    replacement = ReplacementShipment(
        ticket=ticket,
        order_line=line,
        item=(step.params.get("item") or "").strip(),
        quantity=quantity,
        created_by=step.actor,
    )
    replacement.full_clean(exclude=["status"])  # the transitions own it (protected)
    replacement.save()
    label = replacement_label(replacement)
    _note(
        step,
        "replacement_planned",
        Msg(
            _l("Replacement for ticket %(number)s planned: %(label)s"),
            number=ticket.number,
            label=label,
        ),
    )
    notify_users(
        _logistics_people(),
        title=Msg(
            _l("Replacement to ship for %(customer)s (ticket %(number)s)"),
            customer=step.root.customer.name,
            number=ticket.number,
        ),
        body=label,
        target=replacement,
    )
    return replacement


@action(
    "aftersales.replacement_ship",
    model=ReplacementShipment,
    root="ticket.order",
    transition="ship",
    predicate=may_ship_replacement,
)
def replacement_ship(step: Step[ReplacementShipment]) -> ReplacementShipment:
    """Logistics ships the replacement: carrier, tracking number and ETA. The account
    manager is told, to confirm the receipt with the customer. Params: ``carrier``,
    ``tracking_number``, ``eta``."""
    replacement = step.obj
    ticket = replacement.ticket
    if not ticket.is_open:
        raise AftersalesError(MSG_TICKET_CLOSED, code="closed")
    replacement.carrier = (step.params.get("carrier") or "").strip()
    replacement.tracking_number = (step.params.get("tracking_number") or "").strip()
    replacement.eta = step.params.get("eta")
    missing = {
        name: [_("This field is required.")]
        for name in ("carrier", "tracking_number", "eta")
        if not getattr(replacement, name)
    }
    if missing:
        raise ValidationError(missing)
    replacement.shipped_by = step.actor
    replacement.full_clean(exclude=["status"])  # the transition owns it (protected)
    step.transition()
    label = replacement_label(replacement)
    _note(
        step,
        "replacement_shipped",
        Msg(
            _l(
                "Replacement for ticket %(number)s shipped (%(label)s): %(carrier)s %(tracking)s, ETA %(eta)s"
            ),
            number=ticket.number,
            label=label,
            carrier=replacement.carrier,
            tracking=replacement.tracking_number,
            eta=date_param(replacement.eta) if replacement.eta else "—",
        ),
    )
    notify_users(
        [_account_manager(step.root), ticket.owner],
        title=Msg(
            _l("Replacement for ticket %(number)s is on its way: confirm its receipt"),
            number=ticket.number,
        ),
        body=f"{label} · {replacement.carrier} {replacement.tracking_number}",
        target=replacement,
    )
    return replacement


@action(
    "aftersales.replacement_arrive",
    model=ReplacementShipment,
    root="ticket.order",
    transition="arrive",
    predicate=may_confirm_replacement,
)
def replacement_arrive(step: Step[ReplacementShipment]) -> ReplacementShipment:
    """The customer has the replacement: who received it and when, confirmed on the
    customer's word by the account manager or after-sales. The ticket's owner is told it
    can be resolved now. Params: ``received_on``, ``received_by``."""
    replacement = step.obj
    ticket = replacement.ticket
    received_on: date | None = step.params.get("received_on")
    received_by = (step.params.get("received_by") or "").strip()
    if received_on is None or not received_by:
        raise ValidationError(
            {
                name: [_("This field is required.")]
                for name, value in (("received_on", received_on), ("received_by", received_by))
                if not value
            }
        )
    if replacement.shipped_at and received_on < timezone.localtime(replacement.shipped_at).date():
        raise ValidationError(
            {"received_on": [_("The replacement cannot arrive before it was shipped.")]}
        )
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": [_("The date cannot be in the future.")]})
    replacement.received_on = received_on
    replacement.received_by = received_by
    replacement.confirmed_by = step.actor
    replacement.full_clean(exclude=["status"])  # the transition owns it (protected)
    step.transition()
    _note(
        step,
        "replacement_arrived",
        Msg(
            _l("Replacement for ticket %(number)s received by %(person)s on %(date)s (%(label)s)."),
            number=ticket.number,
            person=received_by,
            date=date_param(received_on),
            label=replacement_label(replacement),
        ),
        kind=OrderEventKind.CONTACT,
    )
    notify_users(
        [ticket.owner],
        title=Msg(
            _l("The customer received the replacement for ticket %(number)s"),
            number=ticket.number,
        ),
        body=replacement_label(replacement),
        target=ticket,
    )
    return replacement


@action(
    "aftersales.replacement_cancel",
    model=ReplacementShipment,
    root="ticket.order",
    transition="cancel",
    predicate=may_cancel_replacement,
)
def replacement_cancel(step: Step[ReplacementShipment]) -> ReplacementShipment:
    """Cancel a replacement that will not reach the customer (not needed after all, lost
    on the way — then plan a new one), with the reason. Logistics is told when it was
    still to ship. Params: ``reason``."""
    replacement = step.obj
    ticket = replacement.ticket
    reason = (step.params.get("reason") or "").strip()
    if not reason:
        raise ValidationError({"reason": [MSG_CANCEL_REASON]})
    was_planned = replacement.status == ReplacementStatus.PLANNED
    replacement.cancel_reason = reason
    replacement.cancelled_by = step.actor
    step.transition()
    _note(
        step,
        "replacement_cancelled",
        Msg(
            _l("Replacement for ticket %(number)s cancelled (%(label)s): %(reason)s"),
            number=ticket.number,
            label=replacement_label(replacement),
            reason=reason,
        ),
    )
    if was_planned:
        notify_users(
            _logistics_people(),
            title=Msg(
                _l("Replacement for ticket %(number)s is cancelled: do not ship it"),
                number=ticket.number,
            ),
            body=reason,
            target=replacement,
        )
    return replacement


# --- resolution, refund, rating -------------------------------------------------------------
@action(
    "aftersales.ticket_resolve",
    model=AftersalesTicket,
    root="order",
    transition="resolve",
    predicate=may_handle_ticket,
)
def ticket_resolve(step: Step[AftersalesTicket]) -> AftersalesTicket:
    """Close the case with its resolution — and the refund amount for a refund. Refused
    while a replacement of the ticket is still to ship or on its way.

    Resolving also counts as the response if none was logged; both clocks are met. The
    account manager is told (处理结果同步至客户经理); the order completes if its
    follow-up visit is logged and nothing else is open (the hook below). Params:
    ``resolution``; optional ``refund_amount``.
    """
    ticket = step.obj
    resolution = (step.params.get("resolution") or "").strip()
    if not resolution:
        raise ValidationError({"resolution": [_("Describe how the ticket was resolved.")]})
    refund_amount = step.params.get("refund_amount")
    if refund_amount is not None:
        ticket.refund_amount = refund_amount
    if ticket.kind == TicketKind.REFUND and ticket.refund_amount is None:
        raise AftersalesError(MSG_REFUND_REQUIRED, code="refund")
    underway = list(ticket.replacements.filter(status__in=UNDERWAY_REPLACEMENT_STATUSES))
    if underway:
        # docs/workflow.md §8 H: only once every replacement arrived or was cancelled.
        raise AftersalesError(
            MSG_REPLACEMENTS_UNDERWAY
            % {"items": "; ".join(replacement_label(r) for r in underway)},
            code="replacement_underway",
        )
    now = timezone.now()
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        sla_clock_meet(target=ticket, kind=SlaKind.AFTERSALES_RESPONSE, at=now)
    sla_clock_meet(target=ticket, kind=SlaKind.AFTERSALES_RESOLUTION, at=now)
    ticket.resolution = resolution
    ticket.resolved_at = now
    ticket.resolved_by = step.actor
    ticket.full_clean(exclude=["status"])  # the transitions own it (protected)
    step.transition()
    note = Msg(
        _l("Ticket %(number)s resolved: %(resolution)s"),
        number=ticket.number,
        resolution=resolution,
    )
    if ticket.refund_amount is not None:
        note = Msg(
            "%(resolved)s %(refund)s",
            resolved=note,
            refund=Msg(_l("Refund: %(amount)s CNY."), amount=ticket.refund_amount),
        )
    _note(step, "ticket_resolved", note)
    notify_users(
        [_account_manager(step.root)],
        title=Msg(_l("After-sales ticket %(number)s is resolved"), number=ticket.number),
        body=resolution,
        target=step.root,
    )
    return ticket


@action(
    "aftersales.ticket_rate",
    model=AftersalesTicket,
    root="order",
    states=(TicketStatus.RESOLVED,),
    predicate=may_rate_ticket,
)
def ticket_rate(step: Step[AftersalesTicket]) -> AftersalesTicket:
    """The customer's rating (1–5) of how a resolved ticket was handled, with their
    comment. Params: ``rating``; optional ``comment``."""
    ticket = step.obj
    try:
        rating = int(step.params["rating"])
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("The rating is from 1 to 5.")]})
    comment = step.params.get("comment") or ""
    _by_customer(step)
    ticket.rating = rating
    ticket.rating_comment = comment
    ticket.rated_at = timezone.now()
    ticket.save(update_fields=["rating", "rating_comment", "rated_at"])
    _note(
        step,
        "ticket_rated",
        Msg(
            _l("Customer rated ticket %(number)s %(rating)s/5. %(comment)s"),
            number=ticket.number,
            rating=rating,
            comment=comment,
        ),
    )
    return ticket


# --- follow-up visit and completion ---------------------------------------------------------
@action(
    "aftersales.visit_log",
    model=Order,
    states=(OrderStatus.ACCEPTED,),
    predicate=may_log_visit,
)
def visit_log(step: Step[Order]) -> FollowUpVisit:
    """客户满意度回访: meets the 3-working-day follow-up clock. A new demand is passed to
    the order's sales owner. The order completes when no after-sales ticket is open
    (the hook below); otherwise it stays accepted and its page shows what blocks it.
    Params: ``method``, ``person``, ``satisfaction``; optional ``visit_date``,
    ``feedback``, ``suggestions``, ``new_demand``, ``new_demand_note``."""
    order = step.obj
    if FollowUpVisit.objects.filter(order=order).exists():
        raise AftersalesError(MSG_VISIT_EXISTS, code="exists")
    params = step.params
    visit = FollowUpVisit(
        order=order,
        method=params.get("method") or "",
        person=(params.get("person") or "").strip(),
        satisfaction=params["satisfaction"],
        visit_date=params.get("visit_date") or timezone.localdate(),
        feedback=params.get("feedback") or "",
        suggestions=params.get("suggestions") or "",
        new_demand=bool(params.get("new_demand")),
        new_demand_note=params.get("new_demand_note") or "",
        visited_by=_staff(step.actor),
    )
    _by_customer(step)
    visit.full_clean()
    visit.save()
    sla_clock_meet(target=order, kind=SlaKind.FOLLOWUP_VISIT, at=visit.created_at)
    _note(
        step,
        "followup_visit",
        Msg(
            _l("Follow-up visit (%(method)s) with %(person)s: satisfaction %(score)s/5."),
            method=VisitMethod(visit.method)
            if visit.method in VisitMethod.values
            else visit.method,
            person=visit.person,
            score=visit.satisfaction,
        ),
        kind=OrderEventKind.CONTACT,
    )
    if visit.new_demand:
        notify_users(
            [order.owner],
            title=Msg(
                _l("New demand from %(customer)s (order %(number)s)"),
                customer=order.customer.name,
                number=order.number,
            ),
            body=visit.new_demand_note,
            target=order,
        )
    return visit


@on("aftersales.ticket_resolve")
@on("aftersales.visit_log")
def complete_when_done(step: Step[Any]) -> None:
    """Complete an accepted order by itself once its visit is logged and no ticket is open.

    The move is the system's (accepted → completed: "follow-up done and no open
    after-sales ticket"): whoever closed the last gap triggers it, and the timeline says
    it was automatic. Runs after the step's own timeline row, in its transaction, with
    the order locked by the step.
    """
    order: Order = step.root
    if order.status != OrderStatus.ACCEPTED or completion_blockers(order):
        return
    perform(
        "order.complete",
        actor=step.actor,
        obj=order,
        note=Msg(
            _l("Completed automatically: follow-up visit logged and no after-sales ticket open.")
        ),
    )
    notify_users(
        [_account_manager(order), order.owner],
        title=Msg(_l("Order %(number)s is completed"), number=order.number),
        target=order,
    )


@on("order.archive")
def keep_replacements_underway(step: Step[Any]) -> None:
    """The month close does not archive an order whose replacement has not reached the
    customer: archived is read-only, so it could never be shipped or confirmed. The
    refusal is a WrongState, which the month close counts as carried over."""
    order: Order = step.root
    underway = (
        ReplacementShipment.objects.filter(
            ticket__order=order, status__in=UNDERWAY_REPLACEMENT_STATUSES
        )
        .select_related("ticket")
        .first()
    )
    if underway is not None:
        raise ReplacementUnderway(
            MSG_ARCHIVE_REPLACEMENT_UNDERWAY % {"number": underway.ticket.number},
            code="replacement_underway",
        )
