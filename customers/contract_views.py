"""Contract pages. Thin: form → service → page; every step checked on the server (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.panels import file_access_allowed
from core.uploads import private_file_response
from customers import contract_selectors as selectors
from customers import contract_services as services
from customers.contract_forms import AmendmentForm, CommentForm, ContractForm, SignForm
from customers.contracts import Contract, ContractAmendment
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


@permission_required("customers.view_contract", raise_exception=True)
def contract_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    contracts = selectors.contract_list(user=request.user, status=status)
    return render(
        request,
        "customers/contract_list.html",
        {"contracts": contracts, "status": status, "statuses": selectors.ContractStatus.choices},
    )


@permission_required("customers.add_contract", raise_exception=True)
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
    return render(request, "customers/contract_form.html", {"form": form})


@permission_required("customers.view_contract", raise_exception=True)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    return render(
        request,
        "customers/contract_detail.html",
        {
            "contract": contract,
            "events": contract.events.select_related("actor", "amendment"),
            "amendments": contract.amendments.select_related("created_by", "contract"),
            "actions": selectors.contract_actions(contract=contract, user=request.user),
            "comment_form": CommentForm(),
            "sign_form": SignForm(),
            "amendment_form": AmendmentForm(),
            "orders": selectors.contract_orders(contract=contract),
        },
    )


def _run_step(request: HttpRequest, call, **kwargs) -> None:  # type: ignore[no-untyped-def]
    try:
        call(actor=request.user, **kwargs)
    except services.ContractPermissionDenied as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except services.ContractError as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))


@require_POST
@permission_required("customers.view_contract", raise_exception=True)
def contract_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    contract = _contract(request, pk)
    if action not in STEPS:
        raise Http404
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    _run_step(request, STEPS[action], contract=contract, comment=comment)
    return redirect(contract)


@require_POST
@permission_required("customers.view_contract", raise_exception=True)
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    form = SignForm(request.POST, request.FILES)
    form.is_valid()
    _run_step(
        request,
        services.contract_sign,
        contract=contract,
        scan=form.cleaned_data.get("scan"),
        signed_on=form.cleaned_data.get("signed_on"),
        comment=form.cleaned_data.get("comment", ""),
    )
    return redirect(contract)


@permission_required("customers.view_contract", raise_exception=True)
def contract_scan(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    if not contract.signed_scan:
        raise Http404
    # The archive decides on confidential documents (and logs the access).
    if not file_access_allowed(request.user, contract, "view"):
        raise PermissionDenied
    return private_file_response(contract.signed_scan, contract.signed_scan_name or "contract.pdf")


@require_POST
@permission_required("customers.add_contract", raise_exception=True)
def amendment_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Describe the change and give a reason."))
        return redirect(contract)
    _run_step(request, services.contract_amendment_create, contract=contract, **form.cleaned_data)
    return redirect(contract)


@require_POST
@permission_required("customers.view_contract", raise_exception=True)
def amendment_decide(request: HttpRequest, pk: int, amendment_pk: int, action: str) -> HttpResponse:
    contract = _contract(request, pk)
    amendment = get_object_or_404(ContractAmendment, pk=amendment_pk, contract=contract)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    _run_step(
        request,
        services.contract_amendment_decide,
        amendment=amendment,
        action=action,
        comment=comment,
    )
    return redirect(contract)
