"""Who may take which step on a quotation — the rules of docs/workflow.md §2 in one place.

``rules`` predicates over ``(user, quotation)``, composed with ``&``, ``|`` and ``~``;
the actions in orders/actions/quotations.py use them, and so do the pages (through
``core.actions.allowed``) to decide which buttons to show.
"""

from __future__ import annotations

from typing import Any

import rules

from core.actions import has_perm, not_author, one_of
from orders.models import QuotationEvent, QuotationStatus

# The steps that wrote the quotation's lines (every save rewrites them).
LINE_STEPS = ("create", "edit")


def line_editors(quotation: Any) -> set[int]:
    """Everyone who entered or edited the lines of ``quotation``."""
    return set(
        QuotationEvent.objects.filter(quotation=quotation, action__in=LINE_STEPS).values_list(
            "actor_id", flat=True
        )
    )


def _in(status: str) -> rules.Predicate:
    @rules.predicate(name=f"quotation_in:{status}")
    def in_status(user: Any, quotation: Any) -> bool:
        return quotation is not None and quotation.status == status

    return in_status


# Four eyes: nobody who made, owns or edited the lines of a quotation reviews it.
four_eyes = not_author("created_by", "owner", extra=line_editors)
is_maker = one_of("created_by", "owner")

may_create = has_perm("orders.add_quotation")
may_edit = has_perm("orders.add_quotation") & is_maker
may_submit = is_maker
may_approve = has_perm("orders.approve_quotation") & four_eyes
may_director_approve = has_perm("orders.approve_large_quotation") & four_eyes
may_send_back = (_in(QuotationStatus.PENDING_APPROVAL) & may_approve) | (
    _in(QuotationStatus.PENDING_DIRECTOR) & may_director_approve
)
# The customer's answer is recorded by sales staff.
may_record_answer = has_perm("orders.add_quotation")
# Converting enters an order: the converter must be one who may enter orders too.
may_convert = has_perm("orders.convert_quotation") & has_perm("orders.add_order")
# Linking an order to its contract: whoever may change or approve orders, or the order's people.
may_link_contract = (
    has_perm("orders.change_order")
    | has_perm("orders.approve_order")
    | one_of("owner", "created_by")
)
