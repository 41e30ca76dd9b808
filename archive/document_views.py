"""Archive pages: document register, opening a document, disposal, borrowing, access log.

Thin: form → service / selector → page. Permission is checked here on every
request; the confidential-document rule lives in archive.document_services.document_access.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from archive import document_selectors as selectors
from archive import document_services as services
from archive.actions import approval_for
from archive.document_forms import BorrowingForm, DecisionForm, DisposalForm, RegisterFilterForm
from archive.models import AccessAction, Borrowing, Document
from archive.registry import source_for
from core.actions import allowed
from core.errors import DomainError, Invalid
from core.uploads import private_file_response
from core.web import refused, run_step


@permission_required("archive.view_document", raise_exception=True)
def register(request: HttpRequest) -> HttpResponse:
    services.document_register_sync()
    form = RegisterFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.document_register(filters=filters), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "archive/register.html",
        {"page_obj": page, "documents": page.object_list, "filter_form": form},
    )


def _field_file(document: Document):  # type: ignore[no-untyped-def]
    if document.file:
        return document.file
    source_obj = document.source
    source = source_for(source_obj) if source_obj is not None else None
    if source is None:
        return None
    return getattr(source_obj, source.file_field) or None


@login_required
def document_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open (or with ?download=1 download) a registered document; 403 without the right,
    whatever the URL. Confidential documents: every attempt is logged."""
    document = get_object_or_404(Document, pk=pk)
    download = request.GET.get("download") == "1"
    action = AccessAction.DOWNLOAD if download else AccessAction.VIEW
    access = services.document_access_check(user=request.user, document=document, action=action)
    if not access.allowed:
        raise PermissionDenied
    field_file = _field_file(document)
    if not field_file:
        raise Http404
    return private_file_response(
        field_file, document.file_name or "document.pdf", inline=not download
    )


@permission_required("archive.dispose_document", raise_exception=True)
def disposal(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "archive/disposal.html",
        {"documents": selectors.documents_due_for_disposal(), "form": DisposalForm()},
    )


@require_POST
@permission_required("archive.dispose_document", raise_exception=True)
def dispose(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=pk)
    form = DisposalForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    back = reverse("archive:disposal")
    return run_step(
        request,
        lambda: services.document_dispose(actor=request.user, document=document, note=note),
        success=_("Disposal of “%(title)s” recorded.") % {"title": document.title},
        back=back,
        redirect_to=back,
    )


@permission_required("archive.view_borrowing", raise_exception=True)
def borrowings(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("mine", "")
    page = Paginator(selectors.borrowing_list(user=request.user, scope=scope), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "archive/borrowing_list.html",
        {"page_obj": page, "borrowings": page.object_list, "scope": scope},
    )


@permission_required("archive.add_borrowing", raise_exception=True)
def borrowing_create(request: HttpRequest) -> HttpResponse:
    initial = (
        {"documents": request.GET.getlist("document")} if request.GET.get("document") else None
    )
    form = BorrowingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            borrowing = services.borrowing_create(
                actor=request.user,
                documents=list(form.cleaned_data["documents"]),
                purpose=form.cleaned_data["purpose"],
                due_date=form.cleaned_data["due_date"],
            )
        except Invalid as exc:
            for field, errors in exc.fields.items():
                form.add_error(field if field in form.fields else None, errors)
            if not exc.fields:
                form.add_error(None, str(exc.message))
        except DomainError as exc:
            return refused(request, exc, back=reverse("archive:borrowings"))
        else:
            messages.success(
                request, _("Borrowing %(number)s was requested.") % {"number": str(borrowing)}
            )
            return redirect(borrowing)
    return render(request, "archive/borrowing_form.html", {"form": form})


def _visible_borrowing(request: HttpRequest, pk: int) -> Borrowing:
    try:
        borrowing = selectors.borrowing_detail(pk=pk)
    except Borrowing.DoesNotExist:
        raise Http404 from None
    if (
        borrowing.borrower_id != request.user.pk
        and not selectors.borrowing_list(user=request.user).filter(pk=pk).exists()
    ):
        raise Http404
    return borrowing


@permission_required("archive.view_borrowing", raise_exception=True)
def borrowing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    borrowing = _visible_borrowing(request, pk)
    return render(
        request,
        "archive/borrowing_detail.html",
        {
            "borrowing": borrowing,
            # The engine's own checks (state, role, four eyes) decide which buttons show.
            "may_decide": borrowing.is_pending
            and allowed(approval_for(borrowing), request.user, borrowing),
            "may_return": allowed("borrowing.give_back", request.user, borrowing),
            "decision_form": DecisionForm(),
        },
    )


@require_POST
@permission_required("archive.view_borrowing", raise_exception=True)
def borrowing_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    borrowing = get_object_or_404(Borrowing, pk=pk)
    if decision not in ("approve", "reject"):
        raise Http404
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    decided: list[Borrowing] = []
    back = borrowing.get_absolute_url()
    response = run_step(
        request,
        lambda: decided.append(
            services.borrowing_decide(
                actor=request.user,
                borrowing=borrowing,
                approve=decision == "approve",
                comment=comment,
            )
        ),
        success="",
        back=back,
        redirect_to=back,
    )
    if decided:
        messages.success(request, decided[0].get_status_display())
    return response


@require_POST
@permission_required("archive.view_borrowing", raise_exception=True)
def borrowing_return(request: HttpRequest, pk: int) -> HttpResponse:
    borrowing = get_object_or_404(Borrowing, pk=pk)
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    back = borrowing.get_absolute_url()
    return run_step(
        request,
        lambda: services.borrowing_return(actor=request.user, borrowing=borrowing, comment=comment),
        success=_("The documents are back."),
        back=back,
        redirect_to=back,
    )


@permission_required("archive.view_documentaccesslog", raise_exception=True)
def access_log(request: HttpRequest) -> HttpResponse:
    document_id = request.GET.get("document")
    qs = selectors.access_log(
        document_id=int(document_id) if document_id and document_id.isdigit() else None
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "archive/access_log.html", {"page_obj": page, "entries": page.object_list}
    )
