"""How pages run an action and show its refusal — the one mapping of domain errors
(core.errors) to what a browser gets (docs/architecture.md, "Errors").

* allowed: the success message, then a redirect to where the user came from (PRG);
* refused by permission: 403 (Django's 403 page);
* refused by state (409) or invalid input (400): the refusal page with that status,
  the reason in the user's words and a link back to the object.

:class:`DomainErrorMiddleware` applies the same mapping to any domain error a view
lets through, so no refusal ever becomes a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import as_domain_error, user_message


def back_to(request: HttpRequest, default: str) -> str:
    """The page named by ``next`` when it is one of ours, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def refused(request: HttpRequest, exc: BaseException, *, back: str = "") -> HttpResponse:
    """The response for a refused operation (raises PermissionDenied for a 403)."""
    error = as_domain_error(exc)
    if error is None:
        raise exc
    if error.status == 403:
        raise PermissionDenied(user_message(error)) from exc
    return render(
        request,
        "refused.html",
        {"message": user_message(error), "back": back or "/", "status": error.status},
        status=error.status,
    )


def run_step(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    success: str,
    back: str,
    redirect_to: str | None = None,
) -> HttpResponse:
    """Run ``call`` (which performs one action); PRG on success, the mapping on refusal."""
    try:
        call()
    except Exception as exc:
        if as_domain_error(exc) is None:
            raise
        return refused(request, exc, back=back)
    if success:
        messages.success(request, success)
    return redirect(redirect_to or back_to(request, back))


class DomainErrorMiddleware:
    """Any domain error a view did not handle is answered as :func:`refused` would."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        error = as_domain_error(exception)
        if error is None or isinstance(exception, PermissionDenied):
            return None
        back = request.META.get("HTTP_REFERER", "") or "/"
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "/"
        return refused(request, error, back=back)
