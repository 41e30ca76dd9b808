from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import history_entries
from core.panels import (
    TimelineEntry,
    customer_panels_for,
    customer_timeline_for,
    file_access_allowed,
)
from core.uploads import private_file_response
from customers import selectors, services
from customers.forms import (
    CREDIT_FIELDS,
    AddressFormSet,
    ContactFormSet,
    CustomerFilterForm,
    CustomerForm,
    QualificationDocumentForm,
)
from customers.models import Address, Contact, Customer, QualificationDocument


def _visible_customer(request: HttpRequest, pk: int) -> Customer:
    """The customer, or 404 if it does not exist or is not this user's to see."""
    if not selectors.customers_visible_to(request.user).filter(pk=pk).exists():
        raise Http404
    return selectors.customer_detail(pk=pk)


@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    filter_form = CustomerFilterForm(request.GET or None)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    qs = selectors.customers_visible_to(request.user, selectors.customer_list(filters=filters))
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/customer_list.html",
        {
            "page_obj": page,
            "customers": page.object_list,
            "filter_form": filter_form,
            "filtered": any(filters.values()) if filters else False,
        },
    )


@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk)
    hidden = () if request.user.has_perm("customers.view_credit") else CREDIT_FIELDS
    if not request.user.has_perm("customers.view_contact_details"):
        hidden = (*hidden, "mobile", "phone", "email")
    history = history_entries(
        customer.history.all(),
        Contact.history.filter(customer_id=customer.pk),
        Address.history.filter(customer_id=customer.pk),
        QualificationDocument.history.filter(customer_id=customer.pk),
        hidden_fields=hidden,
    )
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            # Contracts, orders, quotations, tickets, visits: sections of the apps above
            # (core.panels).
            "panels": customer_panels_for(request.user, customer),
            "timeline": _timeline(request, customer),
            "history": history,
            "document_form": QualificationDocumentForm(),
            "has_licence": any(d.kind == "business_licence" for d in customer.documents.all()),
            "credit": selectors.credit_status(customer=customer)
            if request.user.has_perm("customers.view_credit")
            else None,
            "payments": customer.payments.all()[:12]
            if request.user.has_perm("customers.view_credit")
            else (),
        },
    )


def _timeline(request: HttpRequest, customer: Customer) -> list[TimelineEntry]:
    """Everything that happened with the customer, newest first (the customer file's timeline)."""
    entries = [
        TimelineEntry(customer.created_at, _("Customer created"), icon="person-plus"),
        *(
            TimelineEntry(
                doc.uploaded_at, _("Document uploaded"), doc.get_kind_display(), icon="file-earmark"
            )
            for doc in customer.documents.all()
        ),
    ]
    entries += customer_timeline_for(request.user, customer)
    return sorted(entries, key=lambda e: e.at, reverse=True)[:50]


def _customer_form_page(request: HttpRequest, customer: Customer) -> HttpResponse:
    creating = customer.pk is None
    data = request.POST if request.method == "POST" else None
    form = CustomerForm(data, instance=customer, user=request.user)
    contacts = ContactFormSet(data, instance=customer, prefix="contacts")
    addresses = AddressFormSet(data, instance=customer, prefix="addresses")
    # Validate all three parts so that every error shows at once.
    if request.method == "POST" and all(
        [form.is_valid(), contacts.is_valid(), addresses.is_valid()]
    ):
        customer = services.customer_save(
            actor=request.user,
            customer=form.save(commit=False),
            contacts=contacts,
            addresses=addresses,
        )
        message = (
            _("Customer %(name)s was created.") if creating else _("Customer %(name)s was saved.")
        )
        messages.success(request, message % {"name": customer.name})
        return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "contacts": contacts,
            "addresses": addresses,
            "customer": customer,
            "creating": creating,
        },
    )


@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request: HttpRequest) -> HttpResponse:
    return _customer_form_page(request, Customer())


@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _customer_form_page(request, _visible_customer(request, pk))


@require_POST
@permission_required("customers.add_qualificationdocument", raise_exception=True)
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk)
    form = QualificationDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.qualification_document_add(
                actor=request.user,
                customer=customer,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                valid_until=form.cleaned_data["valid_until"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
    if form.is_valid() and not form.errors:
        messages.success(request, _("The document was uploaded."))
        return redirect("customers:detail", pk=customer.pk)
    errors = "; ".join(str(e) for field_errors in form.errors.values() for e in field_errors)
    messages.error(request, _("The document was not uploaded: %(errors)s") % {"errors": errors})
    return redirect("customers:detail", pk=customer.pk)


@permission_required("customers.view_qualificationdocument", raise_exception=True)
def document_download(request: HttpRequest, pk: int, doc_pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk)
    document = get_object_or_404(QualificationDocument, pk=doc_pk, customer=customer)
    # Confidential documents (credit reports) only with the right or a borrowing: the
    # archive decides and logs, whatever URL was used (core.panels file guard).
    if not file_access_allowed(request.user, document, "view"):
        raise PermissionDenied
    return private_file_response(document.file, document.original_name, inline=True)


@require_POST
@permission_required("customers.delete_qualificationdocument", raise_exception=True)
def document_delete(request: HttpRequest, pk: int, doc_pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk)
    document = get_object_or_404(QualificationDocument, pk=doc_pk, customer=customer)
    with transaction.atomic():
        services.qualification_document_delete(actor=request.user, document=document)
    messages.success(request, _("The document was deleted."))
    return redirect("customers:detail", pk=customer.pk)
