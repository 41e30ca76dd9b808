"""After-sales pages. Thin: form → service (one ``perform``) or selector → page.

Which buttons a page shows is asked of the engine (``core.actions.available``); a step
runs through ``core.web.run_step``: done → message and back to the page, refused →
403, or the refusal page with 409 / 400 and the reason (docs/architecture.md §5). A
form that does not validate shows the page again with its errors (400).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales import selectors, services
from aftersales.forms import (
    AcceptanceForm,
    AssignForm,
    ComplaintForm,
    RatingForm,
    RepairForm,
    ReplacementArriveForm,
    ReplacementCancelForm,
    ReplacementPlanForm,
    ReplacementShipForm,
    ResolveForm,
    RespondForm,
    VisitForm,
)
from aftersales.models import (
    AftersalesTicket,
    IssuePhoto,
    ReplacementShipment,
    ReplacementStatus,
    TicketKind,
)
from core.actions import available
from core.pdf import pdf_response
from core.uploads import private_file_response
from core.web import run_step
from orders.models import Order, OrderStatus

ISSUE_RECORD_TITLE = gettext_lazy("Acceptance issue record")
TICKET_RECORD_TITLE = gettext_lazy("After-sales record")
VISIT_FORM_TITLE = gettext_lazy("Follow-up visit form")

ORDER_ACTIONS = ("aftersales.acceptance_record", "aftersales.visit_log", "aftersales.ticket_open")
TICKET_ACTIONS = (
    "aftersales.ticket_assign",
    "aftersales.ticket_respond",
    "aftersales.repair_record",
    "aftersales.ticket_resolve",
    "aftersales.ticket_rate",
    "aftersales.replacement_plan",
)
REPLACEMENT_ACTIONS = (
    "aftersales.replacement_ship",
    "aftersales.replacement_arrive",
    "aftersales.replacement_cancel",
)


def _form_errors(request: HttpRequest, form: Any) -> None:
    messages.error(request, _("Nothing was saved: correct the input below."))
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _order_or_404(pk: int) -> Order:
    try:
        return selectors.order_aftersales(pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None


def _ticket_or_404(pk: int) -> AftersalesTicket:
    try:
        return selectors.ticket_detail(pk=pk)
    except AftersalesTicket.DoesNotExist:
        raise Http404 from None


# --- work pages ---------------------------------------------------------------------------------
@permission_required("aftersales.log_visit", raise_exception=True)
def account_work(request: HttpRequest) -> HttpResponse:
    """The account manager's page: deliveries to accept, follow-ups due (overdue first)."""
    return render(
        request,
        "aftersales/account_work.html",
        {
            "to_accept": list(selectors.deliveries_to_accept(request.user)),
            "followups": list(selectors.followups_due()),
            "now": timezone.now(),
            "nav_active": "aftersales_account",
        },
    )


@permission_required("aftersales.view_aftersalesticket", raise_exception=True)
def ticket_list(request: HttpRequest) -> HttpResponse:
    """After-sales tickets by clock: the nearest (or missed) deadline first."""
    show_all = request.GET.get("all") == "1"
    mine = request.GET.get("mine") == "1"
    tickets = selectors.tickets_by_clock(
        open_only=not show_all, owner=request.user if mine else None
    )
    return render(
        request,
        "aftersales/tickets.html",
        {
            "tickets": list(tickets[:200]),
            "show_all": show_all,
            "mine": mine,
            "now": timezone.now(),
            "nav_active": "aftersales_tickets",
        },
    )


# --- one order ----------------------------------------------------------------------------------
@permission_required("orders.view_order", raise_exception=True)
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(pk)
    return render(request, "aftersales/order.html", _order_context(request, order))


def _order_context(request: HttpRequest, order: Order, **bound: Any) -> dict[str, Any]:
    """The order's after-sales page; ``bound`` forms (acceptance_form, visit_form,
    complaint_form) replace the empty ones when a submitted form is shown again."""
    user = request.user
    acceptance = getattr(order, "acceptance", None)
    visit = getattr(order, "followup_visit", None)
    tickets = list(order.aftersales_tickets.all())
    may = available(user, order, ORDER_ACTIONS)
    can_accept = may["aftersales_acceptance_record"]
    can_visit = may["aftersales_visit_log"] and visit is None
    context: dict[str, Any] = {
        "order": order,
        "acceptance": acceptance,
        "acceptance_lines": list(acceptance.lines.all()) if acceptance else [],
        "issues": list(acceptance.issues.all()) if acceptance else [],
        "tickets": tickets,
        "visit": visit,
        "clocks": selectors.clocks_for(order, tickets),
        "blockers": services.completion_blockers(order, [t for t in tickets if t.is_open])
        if order.status in (OrderStatus.DELIVERED, OrderStatus.ACCEPTED)
        else [],
        "can_accept": can_accept,
        "can_visit": can_visit,
        "can_complain": may["aftersales_ticket_open"],
        "now": timezone.now(),
    }
    if can_accept:
        context["acceptance_form"] = bound.get("acceptance_form") or AcceptanceForm(
            order_lines=list(order.lines.all())
        )
    if can_visit:
        context["visit_form"] = bound.get("visit_form") or VisitForm(
            initial={"person": order.contact_name}
        )
    if context["can_complain"]:
        context["complaint_form"] = bound.get("complaint_form") or ComplaintForm()
    return context


def _order_form_invalid(request: HttpRequest, pk: int, **bound: Any) -> HttpResponse:
    """The order page again with the submitted form and its errors (nothing was done)."""
    for form in bound.values():
        _form_errors(request, form)
    order = _order_or_404(pk)
    return render(
        request, "aftersales/order.html", _order_context(request, order, **bound), status=400
    )


@require_POST
@permission_required("orders.accept_delivery", raise_exception=True)
def record_acceptance(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(pk)
    form = AcceptanceForm(request.POST, request.FILES, order_lines=list(order.lines.all()))
    if not form.is_valid():
        messages.error(
            request, _("The acceptance was not recorded: correct the acceptance form below.")
        )
        return render(
            request,
            "aftersales/order.html",
            _order_context(request, order, acceptance_form=form),
            status=400,
        )
    data = form.cleaned_data
    return run_step(
        request,
        lambda: services.acceptance_record(
            actor=request.user,
            order=order,
            signer=data["signer"],
            signed_on=data["signed_on"],
            receipt=data["receipt"],
            note=data["note"],
            lines=form.line_inputs(),
        ),
        success=_("The acceptance is recorded."),
        back=reverse("aftersales:order", args=[pk]),
    )


@require_POST
@permission_required("aftersales.log_visit", raise_exception=True)
def log_visit(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    form = VisitForm(request.POST)
    if not form.is_valid():
        return _order_form_invalid(request, pk, visit_form=form)
    return run_step(
        request,
        lambda: services.visit_log(actor=request.user, order=order, **form.cleaned_data),
        success=_("The follow-up visit is logged."),
        back=reverse("aftersales:order", args=[pk]),
    )


@require_POST
@permission_required("aftersales.open_ticket", raise_exception=True)
def open_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    form = ComplaintForm(request.POST)
    if not form.is_valid():
        return _order_form_invalid(request, pk, complaint_form=form)
    return run_step(
        request,
        lambda: services.ticket_open_complaint(
            actor=request.user, order=order, **form.cleaned_data
        ),
        success=_("The after-sales ticket is opened."),
        back=reverse("aftersales:order", args=[pk]),
    )


@permission_required("orders.view_order", raise_exception=True)
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("acceptance"), pk=pk)
    acceptance = getattr(order, "acceptance", None)
    if acceptance is None or not acceptance.receipt:
        raise Http404
    return private_file_response(acceptance.receipt, acceptance.receipt_name)


@permission_required("orders.view_order", raise_exception=True)
def photo(request: HttpRequest, pk: int, size: str = "full") -> HttpResponse:
    item = get_object_or_404(IssuePhoto, pk=pk)
    if size == "thumb":
        return private_file_response(item.thumbnail, f"thumb-{item.pk}.jpg")
    return private_file_response(item.image, item.original_name)


# --- tickets ------------------------------------------------------------------------------------
@permission_required("aftersales.view_aftersalesticket", raise_exception=True)
def ticket_page(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    return render(request, "aftersales/ticket.html", _ticket_context(request, ticket))


def _lines_to_name(ticket: AftersalesTicket) -> Any:
    """The order lines a response may name as replaced; None once a replacement that is
    not cancelled exists (the response is then a progress note)."""
    if ticket.replacements.exclude(status=ReplacementStatus.CANCELLED).exists():
        return None
    return ticket.order.lines.select_related("product")


def _ticket_context(request: HttpRequest, ticket: AftersalesTicket, **bound: Any) -> dict[str, Any]:
    """The ticket page; ``bound`` forms replace the empty ones when one is shown again."""
    user = request.user
    may = available(user, ticket, TICKET_ACTIONS)
    replacements = list(ticket.replacements.all())
    underway = [r for r in replacements if r.is_underway]
    order_lines = _lines_to_name(ticket)
    default_line = ticket.issue.line.order_line_id if ticket.issue and ticket.issue.line else None
    context: dict[str, Any] = {
        "ticket": ticket,
        "order": ticket.order,
        "responses": list(ticket.responses.all()),
        "repairs": list(ticket.repairs.all()),
        "replacements": replacements,
        "replacements_underway": underway,
        "clocks": selectors.ticket_clocks(ticket),
        "can_rate": may["aftersales_ticket_rate"] and ticket.rating is None,
        "now": timezone.now(),
    }
    forms: dict[str, Any] = {
        "aftersales_ticket_assign": (
            "assign_form",
            lambda: AssignForm(initial={"owner": ticket.owner_id}),
        ),
        "aftersales_ticket_respond": (
            "respond_form",
            lambda: RespondForm(
                initial={
                    "kind": ticket.kind,
                    "promised_date": ticket.promised_date,
                    "replacement_line": default_line,
                },
                order_lines=order_lines,
            ),
        ),
        "aftersales_repair_record": ("repair_form", RepairForm),
        # The engine refuses to resolve while a replacement is on its way; the page says
        # why instead of offering the form (docs/workflow.md §8 H).
        "aftersales_ticket_resolve": (
            "resolve_form",
            lambda: ResolveForm(initial={"refund_amount": ticket.refund_amount}),
        ),
        "aftersales_ticket_rate": ("rating_form", RatingForm),
        "aftersales_replacement_plan": (
            "plan_form",
            lambda: ReplacementPlanForm(
                initial={"line": default_line, "quantity": 1},
                order_lines=ticket.order.lines.select_related("product"),
            ),
        ),
    }
    may["aftersales_ticket_resolve"] = may["aftersales_ticket_resolve"] and not underway
    may["aftersales_replacement_plan"] = (
        may["aftersales_replacement_plan"] and ticket.kind == TicketKind.REPLACEMENT
    )
    for key, (name, make) in forms.items():
        if may[key]:
            context[name] = bound.get(name) or make()
    return context


def _ticket_step(
    request: HttpRequest,
    ticket: AftersalesTicket,
    form: Any,
    form_name: str,
    call: Callable[[dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """Run one step on a ticket from its page's form; an invalid form shows the page again."""
    if not form.is_valid():
        _form_errors(request, form)
        page = _ticket_or_404(ticket.pk)
        return render(
            request,
            "aftersales/ticket.html",
            _ticket_context(request, page, **{form_name: form}),
            status=400,
        )
    return run_step(
        request,
        lambda: call(form.cleaned_data),
        success=success,
        back=reverse("aftersales:ticket", args=[ticket.pk]),
    )


def _ticket(pk: int) -> AftersalesTicket:
    return get_object_or_404(AftersalesTicket.objects.select_related("order"), pk=pk)


@require_POST
@login_required
def ticket_respond(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(pk)
    return _ticket_step(
        request,
        ticket,
        RespondForm(request.POST, order_lines=_lines_to_name(ticket)),
        "respond_form",
        lambda data: services.ticket_respond(actor=request.user, ticket=ticket, **data),
        _("The response is logged."),
    )


@require_POST
@login_required
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(pk)
    return _ticket_step(
        request,
        ticket,
        AssignForm(request.POST),
        "assign_form",
        lambda data: services.ticket_assign(actor=request.user, ticket=ticket, **data),
        _("The ticket has a new owner."),
    )


@require_POST
@login_required
def ticket_repair(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(pk)
    return _ticket_step(
        request,
        ticket,
        RepairForm(request.POST),
        "repair_form",
        lambda data: services.repair_record_add(actor=request.user, ticket=ticket, **data),
        _("The repair record is saved."),
    )


@require_POST
@login_required
def ticket_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(pk)
    return _ticket_step(
        request,
        ticket,
        ResolveForm(request.POST),
        "resolve_form",
        lambda data: services.ticket_resolve(actor=request.user, ticket=ticket, **data),
        _("The ticket is resolved."),
    )


@require_POST
@login_required
def ticket_rate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(pk)
    return _ticket_step(
        request,
        ticket,
        RatingForm(request.POST),
        "rating_form",
        lambda data: services.ticket_rate(actor=request.user, ticket=ticket, **data),
        _("The customer's rating is recorded."),
    )


@require_POST
@login_required
def replacement_plan(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(pk)
    return _ticket_step(
        request,
        ticket,
        ReplacementPlanForm(request.POST, order_lines=ticket.order.lines.select_related("product")),
        "plan_form",
        lambda data: services.replacement_plan(
            actor=request.user,
            ticket=ticket,
            order_line=data["line"],
            quantity=data["quantity"],
            item=data["item"],
        ),
        _("The replacement is planned; logistics is told to ship it."),
    )


# --- replacements (logistics ships, the customer's receipt is confirmed) ----------------------
REPLACEMENT_FILTERS = (
    ("", gettext_lazy("To ship and on their way")),
    (ReplacementStatus.PLANNED, gettext_lazy("To ship")),
    (ReplacementStatus.SHIPPED, gettext_lazy("On their way")),
    ("all", gettext_lazy("All")),
)


@permission_required("aftersales.view_replacementshipment", raise_exception=True)
def replacement_list(request: HttpRequest) -> HttpResponse:
    """Logistics' list of replacements to ship (and on their way), oldest first."""
    status = request.GET.get("status", "")
    if status not in {key for key, _label in REPLACEMENT_FILTERS}:
        status = ""
    return render(
        request,
        "aftersales/replacements.html",
        {
            "replacements": list(selectors.replacements(status=status)[:200]),
            "status": status,
            "filters": REPLACEMENT_FILTERS,
            "today": timezone.localdate(),
            "nav_active": "aftersales_replacements",
        },
    )


def _replacement_or_404(pk: int) -> ReplacementShipment:
    try:
        return selectors.replacement_detail(pk=pk)
    except ReplacementShipment.DoesNotExist:
        raise Http404 from None


def _replacement_context(
    request: HttpRequest, replacement: ReplacementShipment, **bound: Any
) -> dict[str, Any]:
    may = available(request.user, replacement, REPLACEMENT_ACTIONS)
    context: dict[str, Any] = {
        "replacement": replacement,
        "ticket": replacement.ticket,
        "order": replacement.ticket.order,
        "nav_active": "aftersales_replacements",
    }
    forms: dict[str, tuple[str, Callable[[], Any]]] = {
        "aftersales_replacement_ship": ("ship_form", ReplacementShipForm),
        "aftersales_replacement_arrive": (
            "arrive_form",
            lambda: ReplacementArriveForm(
                initial={"received_by": replacement.ticket.order.contact_name}
            ),
        ),
        "aftersales_replacement_cancel": ("cancel_form", ReplacementCancelForm),
    }
    for key, (name, make) in forms.items():
        if may[key]:
            context[name] = bound.get(name) or make()
    return context


@permission_required("aftersales.view_replacementshipment", raise_exception=True)
def replacement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    replacement = _replacement_or_404(pk)
    return render(
        request, "aftersales/replacement.html", _replacement_context(request, replacement)
    )


def _replacement_step(
    request: HttpRequest,
    pk: int,
    form_class: type[Any],
    form_name: str,
    call: Callable[[ReplacementShipment, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """Run one step on a replacement from its page's form; an invalid form shows the page
    again with its errors (400)."""
    replacement = get_object_or_404(
        ReplacementShipment.objects.select_related("ticket__order"), pk=pk
    )
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        page = _replacement_or_404(pk)
        return render(
            request,
            "aftersales/replacement.html",
            _replacement_context(request, page, **{form_name: form}),
            status=400,
        )
    return run_step(
        request,
        lambda: call(replacement, form.cleaned_data),
        success=success,
        back=reverse("aftersales:replacement_detail", args=[pk]),
    )


@require_POST
@login_required
def replacement_ship(request: HttpRequest, pk: int) -> HttpResponse:
    return _replacement_step(
        request,
        pk,
        ReplacementShipForm,
        "ship_form",
        lambda replacement, data: services.replacement_ship(
            actor=request.user, replacement=replacement, **data
        ),
        _("The replacement is shipped; the account manager will confirm its receipt."),
    )


@require_POST
@login_required
def replacement_arrive(request: HttpRequest, pk: int) -> HttpResponse:
    return _replacement_step(
        request,
        pk,
        ReplacementArriveForm,
        "arrive_form",
        lambda replacement, data: services.replacement_arrive(
            actor=request.user, replacement=replacement, **data
        ),
        _("The customer's receipt of the replacement is confirmed."),
    )


@require_POST
@login_required
def replacement_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _replacement_step(
        request,
        pk,
        ReplacementCancelForm,
        "cancel_form",
        lambda replacement, data: services.replacement_cancel(
            actor=request.user, replacement=replacement, **data
        ),
        _("The replacement is cancelled."),
    )


# --- documents ----------------------------------------------------------------------------------
def _image_data_uri(field_file: Any) -> str:
    """The photo inlined for WeasyPrint (which fetches only data: and file: URLs)."""
    try:
        with field_file.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def _print_image(photo: IssuePhoto) -> str:
    """A print-sized JPEG of the photo (≈ 800 px) as a data URI."""
    import io

    from PIL import Image, ImageOps

    try:
        with photo.image.open("rb") as handle, Image.open(handle) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((800, 800))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85)
    except OSError:
        return _image_data_uri(photo.thumbnail)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def _document_base(title: Any) -> dict[str, Any]:
    return {
        "company": settings.PORTAL_COMPANY,
        "document_title": title,
        "printed_at": timezone.localtime(),
    }


def _issue_record_context(pk: int, *, for_pdf: bool) -> dict[str, Any]:
    order = _order_or_404(pk)
    acceptance = getattr(order, "acceptance", None)
    if acceptance is None:
        raise Http404
    issues = list(acceptance.issues.all())
    if for_pdf:
        for issue in issues:
            issue.print_photos = [_print_image(p) for p in issue.photos.all()]  # type: ignore[attr-defined]
    return {
        **_document_base(ISSUE_RECORD_TITLE),
        "order": order,
        "acceptance": acceptance,
        "acceptance_lines": list(acceptance.lines.all()),
        "issues": issues,
        "for_pdf": for_pdf,
        "back_url": reverse("aftersales:order", args=[order.pk]),
        "pdf_url": reverse("aftersales:issue_record_pdf", args=[order.pk]),
    }


@permission_required("orders.view_order", raise_exception=True)
def issue_record(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "aftersales/issue_record.html", _issue_record_context(pk, for_pdf=False))


@permission_required("orders.view_order", raise_exception=True)
def issue_record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _issue_record_context(pk, for_pdf=True)
    return pdf_response(
        "aftersales/issue_record_pdf.html",
        context,
        filename=f"{ISSUE_RECORD_TITLE}-{context['order']}.pdf",
        request=request,
    )


def _ticket_record_context(pk: int, *, for_pdf: bool) -> dict[str, Any]:
    ticket = _ticket_or_404(pk)
    photos = list(ticket.issue.photos.all()) if ticket.issue_id else []
    return {
        **_document_base(TICKET_RECORD_TITLE),
        "ticket": ticket,
        "order": ticket.order,
        "responses": list(ticket.responses.all()),
        "repairs": list(ticket.repairs.all()),
        "replacements": list(ticket.replacements.all()),
        "photos": photos,
        "print_photos": [_print_image(p) for p in photos] if for_pdf else [],
        "for_pdf": for_pdf,
        "back_url": reverse("aftersales:ticket", args=[ticket.pk]),
        "pdf_url": reverse("aftersales:ticket_record_pdf", args=[ticket.pk]),
    }


@permission_required("aftersales.view_aftersalesticket", raise_exception=True)
def ticket_record(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "aftersales/ticket_record.html", _ticket_record_context(pk, for_pdf=False)
    )


@permission_required("aftersales.view_aftersalesticket", raise_exception=True)
def ticket_record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _ticket_record_context(pk, for_pdf=True)
    return pdf_response(
        "aftersales/ticket_record_pdf.html",
        context,
        filename=f"{TICKET_RECORD_TITLE}-{context['ticket']}.pdf",
        request=request,
    )


def _visit_form_context(pk: int) -> dict[str, Any]:
    order = _order_or_404(pk)
    visit = getattr(order, "followup_visit", None)
    if visit is None:
        raise Http404
    return {
        **_document_base(VISIT_FORM_TITLE),
        "order": order,
        "visit": visit,
        "acceptance": getattr(order, "acceptance", None),
        "tickets": list(order.aftersales_tickets.all()),
        "stars": range(1, 6),
        "back_url": reverse("aftersales:order", args=[order.pk]),
        "pdf_url": reverse("aftersales:visit_form_pdf", args=[order.pk]),
    }


@permission_required("orders.view_order", raise_exception=True)
def visit_form(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "aftersales/visit_form.html", _visit_form_context(pk))


@permission_required("orders.view_order", raise_exception=True)
def visit_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _visit_form_context(pk)
    return pdf_response(
        "aftersales/visit_form_pdf.html",
        context,
        filename=f"{VISIT_FORM_TITLE}-{context['order']}.pdf",
        request=request,
    )
