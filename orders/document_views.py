"""Order documents (being built)."""

from django.http import HttpRequest, HttpResponse


def review_form(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("review form")


def review_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("review form pdf")
