"""Contract pages. Thin: form → service → page; every step checked on the server by the
engine, its refusal answered by core.web (403, or the refusal page with 409 / 400)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import selectors, services
from contracts.actions import EDITABLE_FIELDS
from contracts.forms import AmendmentForm, CommentForm, ContractForm, SignForm
from contracts.models import Contract, ContractAmendment
from core.actions import refusal
from core.errors import DomainError
from core.panels import file_access_allowed
from core.uploads import private_file_response
from core.web import refused, run_step
from customers.models import Customer
from customers.selectors import customers_visible_to

# The steps a POST may ask for, and the service that takes each.
STEPS = {
    "submit": services.contract_submit,
    "supervisor_approve": services.contract_supervisor_approve,
    "legal_approve": services.contract_legal_approve,
    "send_back": services.contract_send_back,
    "put_in_force": services.contract_put_in_force,
    "expire": services.contract_expire,
    "terminate": services.contract_terminate,
}


def _contract(request: HttpRequest, pk: int) -> Contract:
    contract = get_object_or_404(selectors.contract_queryset(), pk=pk)
    if not customers_visible_to(request.user).filter(pk=contract.customer_id).exists():
        raise Http404
    return contract


@permission_required("contracts.view_contract", raise_exception=True)
def contract_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    contracts = selectors.contract_list(user=request.user, status=status)
    return render(
        request,
        "contracts/contract_list.html",
        {"contracts": contracts, "status": status, "statuses": selectors.ContractStatus.choices},
    )


@permission_required("contracts.add_contract", raise_exception=True)
def contract_create(request: HttpRequest) -> HttpResponse:
    customers = customers_visible_to(request.user).filter(is_active=True)
    initial = {"customer": request.GET.get("customer")} if request.GET.get("customer") else None
    form = ContractForm(request.POST or None, initial=initial, customers=customers)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Contract %(number)s was drafted.") % {"number": contract.number}
            )
            return redirect(contract)
    return render(request, "contracts/contract_form.html", {"form": form})


@permission_required("contracts.add_contract", raise_exception=True)
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft (e.g. after a reviewer sent it back with what to change)."""
    contract = _contract(request, pk)
    back = contract.get_absolute_url()
    # Refused before the form is filled in: the engine's own checks (a draft, the right).
    error = refusal("contract.edit", request.user, contract)
    if error is not None:
        return refused(request, error, back=back)
    form = ContractForm(
        request.POST or None,
        instance=contract,
        customers=Customer.objects.filter(pk=contract.customer_id),
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
        try:
            services.contract_edit(actor=request.user, contract=contract, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            return refused(request, exc, back=back)
        else:
            messages.success(
                request,
                _("The changes to draft contract %(number)s were saved.")
                % {"number": contract.number},
            )
            return redirect(back)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": contract})


@permission_required("contracts.view_contract", raise_exception=True)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "events": contract.events.select_related("actor", "amendment"),
            "amendments": selectors.amendments_with_actions(contract=contract, user=request.user),
            "actions": selectors.contract_actions(contract=contract, user=request.user),
            "comment_form": CommentForm(),
            "sign_form": SignForm(),
            "amendment_form": AmendmentForm(),
            "orders": selectors.contract_orders(contract=contract),
        },
    )


@require_POST
@permission_required("contracts.view_contract", raise_exception=True)
def contract_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    contract = _contract(request, pk)
    if action not in STEPS:
        raise Http404
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    return _step(
        request,
        contract,
        lambda: STEPS[action](actor=request.user, contract=contract, comment=comment),
    )


def _step(request: HttpRequest, contract: Contract, call) -> HttpResponse:  # type: ignore[no-untyped-def]
    """Run one step; the message names the state the contract is in now (what happened)."""
    back = contract.get_absolute_url()
    done: list[object] = []
    response = run_step(
        request, lambda: done.append(call()), success="", back=back, redirect_to=back
    )
    if done:
        contract.refresh_from_db()
        messages.success(
            request,
            _("Contract %(number)s: %(status)s.")
            % {"number": contract.number, "status": contract.get_status_display()},
        )
    return response


@require_POST
@permission_required("contracts.view_contract", raise_exception=True)
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    form = SignForm(request.POST, request.FILES)
    form.is_valid()
    return _step(
        request,
        contract,
        lambda: services.contract_sign(
            actor=request.user,
            contract=contract,
            scan=form.cleaned_data.get("scan"),
            signed_on=form.cleaned_data.get("signed_on"),
            comment=form.cleaned_data.get("comment", ""),
        ),
    )


@permission_required("contracts.view_contract", raise_exception=True)
def contract_scan(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    if not contract.signed_scan:
        raise Http404
    # The archive decides on confidential documents (and logs the access).
    if not file_access_allowed(request.user, contract, "view"):
        raise PermissionDenied
    return private_file_response(contract.signed_scan, contract.signed_scan_name or "contract.pdf")


@require_POST
@permission_required("contracts.add_contract", raise_exception=True)
def amendment_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        error = services.ContractInvalid(_("Describe the change and give a reason."))
        return refused(request, error, back=contract.get_absolute_url())
    return _step(
        request,
        contract,
        lambda: services.contract_amendment_create(
            actor=request.user, contract=contract, **form.cleaned_data
        ),
    )


@require_POST
@permission_required("contracts.view_contract", raise_exception=True)
def amendment_decide(request: HttpRequest, pk: int, amendment_pk: int, action: str) -> HttpResponse:
    contract = _contract(request, pk)
    amendment = get_object_or_404(ContractAmendment, pk=amendment_pk, contract=contract)
    if action not in services.AMENDMENT_STEPS:
        raise Http404
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    return _step(
        request,
        contract,
        lambda: services.contract_amendment_decide(
            actor=request.user, amendment=amendment, action=action, comment=comment
        ),
    )
