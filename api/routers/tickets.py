"""After-sales tickets (read)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from pydantic import Field

from aftersales.models import AftersalesTicket
from api.pagination import keyset_page
from api.problems import responses
from api.routers.common import PageParams, Query, require_perm
from api.schemas import TicketOut, TicketPage

router = Router(tags=["After-sales tickets"])


class TicketParams(PageParams):
    order_id: int | None = Field(None, gt=0, lt=2**63)


@router.get("/", response=responses(TicketPage), summary="Tickets, newest first")
def tickets_list(request: HttpRequest, params: Query[TicketParams]) -> Any:
    require_perm(request, "aftersales.view_aftersalesticket")
    qs = AftersalesTicket.objects.all()
    if params.order_id:
        qs = qs.filter(order_id=params.order_id)
    items, cursor = keyset_page(qs, cursor=params.cursor, limit=params.limit, newest="opened_at")
    return {"items": items, "next_cursor": cursor}


@router.get("/{int:ticket_id}", response=responses(TicketOut), summary="One ticket")
def ticket_get(request: HttpRequest, ticket_id: int) -> Any:
    require_perm(request, "aftersales.view_aftersalesticket")
    return get_object_or_404(AftersalesTicket, pk=ticket_id)
