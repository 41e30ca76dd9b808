"""Write operations of after-sales: acceptance, tickets, repairs, follow-up visits, completion.

Each service runs in one transaction, locks the order it changes (so two
people recording the same acceptance or the last ticket and the visit at once
cannot both complete, or both miss completing, the order), checks the user's
permission, writes the order timeline and starts or meets the deadline clocks
(STYLE.md habits 2–3). aftersales sits above orders (DESIGN.md §3), so it uses
the orders app's transition helpers; nothing below imports this module.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from aftersales.exceptions import (
    BLOCK_NO_VISIT,
    BLOCK_NOT_ACCEPTED,
    BLOCK_OPEN_TICKET,
    MSG_ALREADY_SHIPPED,
    MSG_BAD_IMAGE,
    MSG_ISSUE_REQUIRED,
    MSG_NOT_ACCEPTED,
    MSG_NOT_AFTERSALES,
    MSG_NOT_COMPLAINABLE,
    MSG_NOT_DELIVERED,
    MSG_NOT_REPLACEMENT,
    MSG_QUANTITY_RANGE,
    MSG_REFUND_REQUIRED,
    MSG_TICKET_CLOSED,
    MSG_TICKET_NOT_RESOLVED,
    MSG_VISIT_EXISTS,
    AftersalesError,
)
from aftersales.models import (
    OPEN_TICKET_STATUSES,
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
)
from core import roles
from core.models import SlaClock, SlaKind
from core.services import sla_clock_cancel, sla_clock_meet, sla_clock_start
from core.uploads import DOCUMENT_KINDS, IMAGE_KINDS, safe_original_name, validate_upload
from orders.exceptions import OrderPermissionDenied
from orders.models import Order, OrderEventKind, OrderStatus
from orders.services import (
    _escalation_manager,
    _event,
    _locked,
    _notify,
    _transition,
)

RESPONSE_HOURS = 24
FOLLOWUP_WORKING_DAYS = 3
THUMBNAIL_SIZE = (320, 320)
# Orders a customer can complain about: the goods have arrived (DESIGN.md §4).
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


# --- helpers ------------------------------------------------------------------------------------
def _require(actor: Any, permission: str) -> None:
    if not actor.has_perm(permission):
        raise OrderPermissionDenied()


def _account_manager(order: Order) -> Any:
    """The customer's account manager; the order's sales owner where the customer has none."""
    return order.customer.account_manager or order.owner


def make_thumbnail(upload: Any) -> ContentFile:
    """A small JPEG of the uploaded image (EXIF rotation applied) for lists and documents."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
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


def _photo_save(*, issue: AcceptanceIssue, upload: Any, actor: Any) -> IssuePhoto:
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


def _end_of_day(day: date) -> datetime:
    """A promised date is kept until the end of that day (local time)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# --- acceptance ---------------------------------------------------------------------------------
def _check_lines(order: Order, lines: list[LineInput]) -> None:
    by_id = {line.pk: line for line in order.lines.select_related("product")}
    errors: list[Any] = []
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


@transaction.atomic
def acceptance_record(
    *,
    actor: Any,
    order: Order,
    signer: str,
    signed_on: date,
    receipt: Any,
    lines: list[LineInput],
    note: str = "",
) -> Acceptance:
    """The customer accepted the delivery (seed 000 step 4, DESIGN.md §4 "accept").

    Records the signer, date and signed receipt and each line's result and
    quantity. Every line accepted with exceptions or rejected becomes an
    acceptance issue with its photos, and each issue opens an after-sales
    ticket at once — the order itself still moves to accepted: no earlier step
    (shipment, preparation) is reopened. Starts the 3-working-day follow-up clock.
    """
    order = _locked(order)
    if not can_proceed(order.accept, check_conditions=False):
        raise AftersalesError(MSG_NOT_DELIVERED, code="wrong_state")
    if not has_transition_perm(order.accept, actor):
        raise OrderPermissionDenied()
    signer = (signer or "").strip()
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
        note=note,
        recorded_by=actor,
    )
    acceptance.receipt.save(receipt.name or "receipt.pdf", receipt, save=False)
    acceptance.full_clean(exclude=["receipt"])
    acceptance.save()

    issues: list[AcceptanceIssue] = []
    rejected = 0
    for item in lines:
        line = AcceptanceLine.objects.create(
            acceptance=acceptance,
            order_line_id=item.order_line_id,
            result=item.result,
            quantity=item.quantity,
        )
        rejected += item.result == LineResult.REJECTED
        if item.result == LineResult.ACCEPTED:
            continue
        issue = AcceptanceIssue.objects.create(
            acceptance=acceptance,
            line=line,
            issue_type=item.issue_type,
            description=item.description.strip(),
        )
        for upload in item.photos:
            _photo_save(issue=issue, upload=upload, actor=actor)
        issues.append(issue)

    summary = _(
        "Signed by %(signer)s on %(date)s; %(issues)s issue(s), %(rejected)s line(s) rejected."
    ) % {
        "signer": signer,
        "date": signed_on.isoformat(),
        "issues": len(issues),
        "rejected": rejected,
    }
    _transition(order, actor=actor, name="accept", note=summary)
    sla_clock_start(
        target=order,
        kind=SlaKind.FOLLOWUP_VISIT,
        owner=actor,
        working_days=FOLLOWUP_WORKING_DAYS,
        escalate_to=_escalation_manager(),
        note=_("Follow-up visit within 3 working days of acceptance."),
    )
    for issue in issues:
        line_label = str(issue.line.order_line.product) if issue.line else ""
        _event(
            order,
            actor=actor,
            kind=OrderEventKind.NOTE,
            action="acceptance_issue",
            note=_("Acceptance issue (%(type)s) %(line)s: %(description)s")
            % {
                "type": issue.get_issue_type_display(),
                "line": line_label,
                "description": issue.description,
            },
        )
        _ticket_open(
            order=order,
            actor=actor,
            source=TicketSource.ACCEPTANCE,
            kind=KIND_FOR_ISSUE.get(issue.issue_type, TicketKind.OTHER),
            description=issue.description,
            issue=issue,
        )
    if issues:
        _notify(
            [_escalation_manager()],
            title=_("Order %(number)s accepted with %(count)s issue(s)")
            % {"number": order.number, "count": len(issues)},
            body=order.customer.name,
            order=order,
        )
    return acceptance


# --- tickets ------------------------------------------------------------------------------------
def _ticket_open(
    *,
    order: Order,
    actor: Any,
    source: str,
    kind: str,
    description: str,
    issue: AcceptanceIssue | None = None,
    owner: Any = None,
    customer_request: str = "",
) -> AftersalesTicket:
    """Open a ticket on a locked order: 24-hour response clock, owner told, timeline entry."""
    sequence = AftersalesTicket.objects.filter(order=order).count() + 1
    ticket = AftersalesTicket(
        number=f"{order.number or order.pk}-S{sequence:02d}",
        order=order,
        issue=issue,
        source=source,
        kind=kind,
        description=description,
        customer_request=customer_request,
        owner=owner or _default_ticket_owner(actor),
        opened_by=actor,
    )
    ticket.full_clean()
    ticket.save()
    sla_clock_start(
        target=ticket,
        kind=SlaKind.AFTERSALES_RESPONSE,
        owner=ticket.owner,
        hours=RESPONSE_HOURS,
        escalate_to=_escalation_manager(),
        note=_("Respond to the customer within 24 hours."),
    )
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="ticket_opened",
        note=_("After-sales ticket %(number)s opened (%(kind)s): %(description)s")
        % {"number": ticket.number, "kind": ticket.get_kind_display(), "description": description},
    )
    _notify(
        [ticket.owner],
        title=_("After-sales ticket %(number)s: please respond within 24 hours")
        % {"number": ticket.number},
        body=description,
        order=order,
    )
    return ticket


@transaction.atomic
def ticket_open_complaint(
    *,
    actor: Any,
    order: Order,
    kind: str,
    description: str,
    customer_request: str = "",
    owner: Any = None,
) -> AftersalesTicket:
    """A customer complaint about a delivered order (seed 002 客户投诉受理) opens a ticket.

    The order's status is left alone: a complaint about a completed order does
    not reopen it.
    """
    _require(actor, "aftersales.open_ticket")
    order = _locked(order)
    if order.status not in COMPLAINABLE_STATUSES:
        raise AftersalesError(MSG_NOT_COMPLAINABLE, code="wrong_state")
    if not (description or "").strip():
        raise ValidationError({"description": [_("Describe the customer's problem.")]})
    if owner is not None and not roles.has_role(owner, roles.AFTERSALES):
        raise AftersalesError(MSG_NOT_AFTERSALES, code="owner")
    return _ticket_open(
        order=order,
        actor=actor,
        source=TicketSource.COMPLAINT,
        kind=kind,
        description=description.strip(),
        owner=owner,
        customer_request=customer_request,
    )


def _locked_ticket(ticket: AftersalesTicket, *, open_only: bool = True) -> AftersalesTicket:
    # The order first, then the ticket: the same lock order as the acceptance and
    # the visit, so completing the order never deadlocks against them.
    _locked(ticket.order)
    ticket = AftersalesTicket.objects.select_for_update().select_related("order").get(pk=ticket.pk)
    if open_only and not ticket.is_open:
        raise AftersalesError(MSG_TICKET_CLOSED, code="closed")
    return ticket


@transaction.atomic
def ticket_assign(*, actor: Any, ticket: AftersalesTicket, owner: Any) -> AftersalesTicket:
    """Hand a ticket to another after-sales person; its running clocks follow the owner."""
    _require(actor, "aftersales.handle_ticket")
    ticket = _locked_ticket(ticket)
    if not roles.has_role(owner, roles.AFTERSALES):
        raise AftersalesError(MSG_NOT_AFTERSALES, code="owner")
    ticket.owner = owner
    ticket.save(update_fields=["owner"])
    SlaClock.objects.open().for_target(ticket).update(owner=owner)
    _notify(
        [owner],
        title=_("After-sales ticket %(number)s is now yours") % {"number": ticket.number},
        body=ticket.description,
        order=ticket.order,
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
        note=_("Resolve by the date promised to the customer."),
    )


def _ensure_replacement(ticket: AftersalesTicket, actor: Any) -> None:
    """A replacement ticket gets its follow-up shipment record (to be shipped)."""
    if ticket.kind != TicketKind.REPLACEMENT or ticket.replacements.exists():
        return
    line = ticket.issue.line if ticket.issue_id and ticket.issue.line_id else None
    quantity = Decimal("1")
    if line is not None and line.result == LineResult.REJECTED and line.quantity > 0:
        quantity = line.quantity
    ReplacementShipment.objects.create(
        ticket=ticket,
        order_line=line.order_line if line else None,
        quantity=quantity,
        created_by=actor,
    )


@transaction.atomic
def ticket_respond(
    *,
    actor: Any,
    ticket: AftersalesTicket,
    text: str,
    kind: str | None = None,
    promised_date: date | None = None,
) -> TicketResponse:
    """Log a response. The first one meets the 24-hour response clock (seed 000 step 5:
    售后部门需在24小时内响应); it may settle the kind (repair / replacement / refund) and the
    promised resolution date, which starts the resolution clock."""
    _require(actor, "aftersales.handle_ticket")
    ticket = _locked_ticket(ticket)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the response.")]})
    response = TicketResponse.objects.create(ticket=ticket, text=text, author=actor)
    first = ticket.first_response_at is None
    if first:
        ticket.first_response_at = response.created_at
        ticket.status = TicketStatus.IN_PROGRESS
        sla_clock_meet(target=ticket, kind=SlaKind.AFTERSALES_RESPONSE, at=response.created_at)
    if kind and kind != ticket.kind:
        ticket.kind = kind
    if promised_date is not None:
        _set_promised_date(ticket, promised_date)
    ticket.full_clean()
    ticket.save()
    _ensure_replacement(ticket, actor)
    _event(
        ticket.order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="ticket_response",
        note=_("Ticket %(number)s (%(kind)s): %(text)s")
        % {"number": ticket.number, "kind": ticket.get_kind_display(), "text": text},
    )
    return response


@transaction.atomic
def repair_record_add(
    *,
    actor: Any,
    ticket: AftersalesTicket,
    technician: str,
    work_done: str,
    result: str,
    fault: str = "",
    parts: str = "",
    repair_date: date | None = None,
) -> RepairRecord:
    """维修记录 (seed 002): who repaired, what was done, the parts and the result."""
    _require(actor, "aftersales.handle_ticket")
    ticket = _locked_ticket(ticket)
    record = RepairRecord(
        ticket=ticket,
        technician=technician,
        work_done=work_done,
        result=result,
        fault=fault,
        parts=parts,
        repair_date=repair_date or timezone.localdate(),
        recorded_by=actor,
    )
    record.full_clean()
    record.save()
    _event(
        ticket.order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="repair_record",
        note=_("Repair on ticket %(number)s by %(technician)s: %(result)s")
        % {"number": ticket.number, "technician": technician, "result": result},
    )
    return record


@transaction.atomic
def replacement_ship(
    *,
    actor: Any,
    replacement: ReplacementShipment,
    carrier: str,
    tracking_number: str,
    eta: date,
) -> ReplacementShipment:
    """The replacement goods leave: carrier, tracking number and ETA on the follow-up shipment."""
    _require(actor, "aftersales.handle_ticket")
    ticket = _locked_ticket(replacement.ticket)
    replacement = ReplacementShipment.objects.select_for_update().get(pk=replacement.pk)
    if ticket.kind != TicketKind.REPLACEMENT:
        raise AftersalesError(MSG_NOT_REPLACEMENT, code="kind")
    if replacement.status == ReplacementStatus.SHIPPED:
        raise AftersalesError(MSG_ALREADY_SHIPPED, code="shipped")
    replacement.carrier = carrier
    replacement.tracking_number = tracking_number
    replacement.eta = eta
    replacement.status = ReplacementStatus.SHIPPED
    replacement.shipped_at = timezone.now()
    replacement.full_clean()
    replacement.save()
    _event(
        ticket.order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="replacement_shipped",
        note=_("Replacement for ticket %(number)s shipped: %(carrier)s %(tracking)s")
        % {"number": ticket.number, "carrier": carrier, "tracking": tracking_number},
    )
    return replacement


@transaction.atomic
def ticket_resolve(
    *,
    actor: Any,
    ticket: AftersalesTicket,
    resolution: str,
    refund_amount: Decimal | None = None,
) -> AftersalesTicket:
    """Close the case with its resolution (and the refund amount for a refund).

    Resolving also counts as the response if none was logged; both clocks are
    met. The account manager is told (处理结果同步至客户经理), and the order
    completes if its follow-up visit is already logged and nothing else is open.
    """
    _require(actor, "aftersales.handle_ticket")
    ticket = _locked_ticket(ticket)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": [_("Describe how the ticket was resolved.")]})
    if refund_amount is not None:
        ticket.refund_amount = refund_amount
    if ticket.kind == TicketKind.REFUND and ticket.refund_amount is None:
        raise AftersalesError(MSG_REFUND_REQUIRED, code="refund")
    now = timezone.now()
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        sla_clock_meet(target=ticket, kind=SlaKind.AFTERSALES_RESPONSE, at=now)
    sla_clock_meet(target=ticket, kind=SlaKind.AFTERSALES_RESOLUTION, at=now)
    ticket.resolution = resolution
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = now
    ticket.resolved_by = actor
    ticket.full_clean()
    ticket.save()
    order = ticket.order
    note = _("Ticket %(number)s resolved: %(resolution)s") % {
        "number": ticket.number,
        "resolution": resolution,
    }
    if ticket.refund_amount is not None:
        note += " " + _("Refund: %(amount)s CNY.") % {"amount": ticket.refund_amount}
    _event(order, actor=actor, kind=OrderEventKind.NOTE, action="ticket_resolved", note=note)
    _notify(
        [_account_manager(order)],
        title=_("After-sales ticket %(number)s is resolved") % {"number": ticket.number},
        body=resolution,
        order=order,
    )
    order_complete_if_done(actor=actor, order=order)
    return ticket


@transaction.atomic
def ticket_rate(
    *, actor: Any, ticket: AftersalesTicket, rating: int, comment: str = ""
) -> AftersalesTicket:
    """The customer's rating (1–5) of how the ticket was handled, with their comment."""
    if not (actor.has_perm("aftersales.handle_ticket") or actor.has_perm("aftersales.log_visit")):
        raise OrderPermissionDenied()
    ticket = _locked_ticket(ticket, open_only=False)
    if ticket.status != TicketStatus.RESOLVED:
        raise AftersalesError(MSG_TICKET_NOT_RESOLVED, code="not_resolved")
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": [_("The rating is from 1 to 5.")]})
    ticket.rating = int(rating)
    ticket.rating_comment = comment
    ticket.rated_at = timezone.now()
    ticket.save(update_fields=["rating", "rating_comment", "rated_at"])
    _event(
        ticket.order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="ticket_rated",
        note=_("Customer rated ticket %(number)s %(rating)s/5. %(comment)s")
        % {"number": ticket.number, "rating": ticket.rating, "comment": comment},
    )
    return ticket


# --- follow-up visit and completion -------------------------------------------------------------
@transaction.atomic
def visit_log(
    *,
    actor: Any,
    order: Order,
    method: str,
    person: str,
    satisfaction: int,
    visit_date: date | None = None,
    feedback: str = "",
    suggestions: str = "",
    new_demand: bool = False,
    new_demand_note: str = "",
) -> FollowUpVisit:
    """客户满意度回访 (seed 000 step 5): meets the 3-working-day follow-up clock.

    A new demand is passed to the order's sales owner. The order completes when
    no after-sales ticket is open; otherwise it stays accepted and its page
    shows what blocks it.
    """
    _require(actor, "aftersales.log_visit")
    order = _locked(order)
    if order.status != OrderStatus.ACCEPTED:
        raise AftersalesError(MSG_NOT_ACCEPTED, code="wrong_state")
    if FollowUpVisit.objects.filter(order=order).exists():
        raise AftersalesError(MSG_VISIT_EXISTS, code="exists")
    visit = FollowUpVisit(
        order=order,
        method=method,
        person=(person or "").strip(),
        satisfaction=satisfaction,
        visit_date=visit_date or timezone.localdate(),
        feedback=feedback,
        suggestions=suggestions,
        new_demand=new_demand,
        new_demand_note=new_demand_note,
        visited_by=actor,
    )
    visit.full_clean()
    visit.save()
    sla_clock_meet(target=order, kind=SlaKind.FOLLOWUP_VISIT, at=visit.created_at)
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.CONTACT,
        action="followup_visit",
        note=_("Follow-up visit (%(method)s) with %(person)s: satisfaction %(score)s/5.")
        % {
            "method": visit.get_method_display(),
            "person": visit.person,
            "score": visit.satisfaction,
        },
    )
    if new_demand:
        _notify(
            [order.owner],
            title=_("New demand from %(customer)s (order %(number)s)")
            % {"customer": order.customer.name, "number": order.number},
            body=new_demand_note,
            order=order,
        )
    order_complete_if_done(actor=actor, order=order)
    return visit


def completion_blockers(order: Order, tickets: list[AftersalesTicket] | None = None) -> list[str]:
    """Why an order is not completed yet (empty when it may complete).

    ``tickets`` may be passed when the caller already loaded them (no query).
    """
    if order.status == OrderStatus.COMPLETED or order.status == OrderStatus.ARCHIVED:
        return []
    blockers: list[str] = []
    if order.status != OrderStatus.ACCEPTED:
        blockers.append(str(BLOCK_NOT_ACCEPTED))
    if not FollowUpVisit.objects.filter(order=order).exists():
        blockers.append(str(BLOCK_NO_VISIT))
    if tickets is None:
        tickets = list(
            AftersalesTicket.objects.filter(order=order, status__in=OPEN_TICKET_STATUSES)
        )
    for ticket in tickets:
        if ticket.is_open:
            blockers.append(str(BLOCK_OPEN_TICKET % {"number": ticket.number}))
    return blockers


def order_complete_if_done(*, actor: Any, order: Order) -> bool:
    """Complete an accepted order by itself once its visit is logged and no ticket is open.

    The move is the system's (DESIGN.md §4 "system / account_manager"): whoever
    closed the last gap triggers it, whatever their role, and the timeline says
    it was automatic. Must run inside the caller's transaction with the order locked.
    """
    order = _locked(order)
    if order.status != OrderStatus.ACCEPTED or completion_blockers(order):
        return False
    from_status = order.status
    order.complete()
    order.save()
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.TRANSITION,
        action="complete",
        from_status=from_status,
        note=_("Completed automatically: follow-up visit logged and no after-sales ticket open."),
    )
    _notify(
        [_account_manager(order), order.owner],
        title=_("Order %(number)s is completed") % {"number": order.number},
        order=order,
    )
    return True


__all__ = [
    "LineInput",
    "acceptance_record",
    "completion_blockers",
    "make_thumbnail",
    "order_complete_if_done",
    "photo_validate",
    "repair_record_add",
    "replacement_ship",
    "ticket_assign",
    "ticket_open_complaint",
    "ticket_rate",
    "ticket_resolve",
    "ticket_respond",
    "visit_log",
]
