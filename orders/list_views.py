"""Order list (being built)."""

from django.http import HttpRequest, HttpResponse


def order_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("order list")
