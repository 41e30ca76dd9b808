"""Who may take which step in the archive — docs/workflow.md §2 in one place.

``rules`` predicates over ``(user, borrowing)`` or ``(user, document)``; the actions in
archive/actions.py use them, and so do the pages (``core.actions.allowed``).

Four eyes: the borrower asked for the documents, owns the request and chose them; they
never approve it, at any step.
"""

from __future__ import annotations

from typing import Any

import rules

from archive.models import STEP_PERMISSIONS, BorrowingStatus
from core.actions import has_perm, not_author, one_of

borrowing_four_eyes = not_author("borrower")


@rules.predicate(name="holds_the_step_permission")
def holds_the_step_permission(user: Any, borrowing: Any) -> bool:
    """The user holds the permission of the step the borrowing waits for."""
    permission = STEP_PERMISSIONS.get(borrowing.status) if borrowing is not None else None
    return bool(permission and user.has_perm(permission))


def _step(status: BorrowingStatus) -> rules.Predicate:
    return has_perm(STEP_PERMISSIONS[status]) & borrowing_four_eyes


may_request = has_perm("archive.add_borrowing")
may_approve_department = _step(BorrowingStatus.PENDING_DEPARTMENT)
may_approve_sales = _step(BorrowingStatus.PENDING_SALES_HEAD)
may_approve_gm = _step(BorrowingStatus.PENDING_GM)
may_decide = holds_the_step_permission & borrowing_four_eyes
may_give_back = one_of("borrower") | has_perm("archive.record_return")

may_dispose = has_perm("archive.dispose_document")
