"""Who may change a customer (docs/architecture.md §3): the permission of the role, and
for roles that see only their own customers (account managers), their own ones."""

from __future__ import annotations

from typing import Any

import rules

from core.actions import has_perm, via
from core.roles import has_role
from customers.selectors import ALL_CUSTOMER_ROLES


@rules.predicate
def sees_customer(user: Any, customer: Any) -> bool:
    """The customer is one this user works with (every customer, for the roles that do)."""
    if customer is None:
        return True
    return bool(
        user.is_superuser
        or has_role(user, *ALL_CUSTOMER_ROLES)
        or customer.account_manager_id == user.pk
    )


may_create = has_perm("customers.add_customer")
may_edit = has_perm("customers.change_customer") & sees_customer
may_add_document = has_perm("customers.add_qualificationdocument") & sees_customer
may_delete_document = has_perm("customers.delete_qualificationdocument") & via(
    "customer", sees_customer
)
