"""Finance pages: the settlement statement (page and PDF) and its credit / debit notes.

Thin: selector → page, form → service (one ``perform``) through ``core.web.run_step``.
Who may read a statement is a permission (finance.view_settlementstatement); who may
issue a note is the action's predicate, asked of the engine for the button too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.actions import allowed
from core.pdf import pdf_response
from core.web import run_step
from finance import selectors, services
from finance.forms import NoteForm
from finance.models import SettlementStatement

STATEMENT_TITLE = gettext_lazy("Settlement statement")


def _statement_or_404(pk: int) -> SettlementStatement:
    try:
        return selectors.statement_detail(pk=pk)
    except SettlementStatement.DoesNotExist:
        raise Http404 from None


def _context(statement: SettlementStatement) -> dict[str, Any]:
    return {
        **services.statement_context(statement),
        "company": settings.PORTAL_COMPANY,
        "document_title": STATEMENT_TITLE,
        "printed_at": timezone.localtime(),
        "back_url": statement.order.get_absolute_url(),
        "pdf_url": reverse("finance:statement_pdf", args=[statement.pk]),
    }


@permission_required("finance.view_settlementstatement", raise_exception=True)
def statement_page(request: HttpRequest, pk: int, form: NoteForm | None = None) -> HttpResponse:
    statement = _statement_or_404(pk)
    context = _context(statement)
    context["may_issue_note"] = allowed("finance.note_issue", request.user, statement)
    context["note_form"] = form or NoteForm()
    return render(
        request, "finance/statement.html", context, status=400 if form is not None else 200
    )


@permission_required("finance.view_settlementstatement", raise_exception=True)
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    return pdf_response(
        "finance/statement_pdf.html",
        {**_context(statement), "for_pdf": True},
        filename=f"{STATEMENT_TITLE}-{statement.number}.pdf",
        request=request,
    )


@require_POST
@permission_required("finance.view_settlementstatement", raise_exception=True)
def note_issue(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return statement_page(request, pk, form=form)
    back = reverse("finance:statement", args=[statement.pk])
    return run_step(
        request,
        lambda: services.settlement_note_issue(
            actor=request.user,  # type: ignore[arg-type]
            statement=statement,
            kind=form.cleaned_data["kind"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
        ),
        success=_("The note is issued."),
        back=back,
        redirect_to=back,
    )
