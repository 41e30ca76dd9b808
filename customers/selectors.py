"""Read queries for customer pages, written for the database (constant query counts)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from customers.models import Contact, Customer


def customer_list(*, filters: dict[str, Any]) -> QuerySet[Customer]:
    """Customers matching the list filters, with what the list shows preloaded."""
    qs = Customer.objects.select_related("account_manager").prefetch_related(
        Prefetch(
            "contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts"
        )
    )
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(code__iexact=q)
            | Q(credit_code__iexact=q)
            | Q(contacts__name__icontains=q)
            | Q(contacts__mobile=q)
        ).distinct()
    for field in ("region", "industry", "qualification_status"):
        if filters.get(field):
            qs = qs.filter(**{field: filters[field]})
    if filters.get("account_manager"):
        qs = qs.filter(account_manager=filters["account_manager"])
    if filters.get("is_active") in ("0", "1"):
        qs = qs.filter(is_active=filters["is_active"] == "1")
    return qs.order_by("code")


def customer_detail(*, pk: int) -> Customer:
    return (
        Customer.objects.select_related("account_manager", "created_by")
        .prefetch_related("contacts", "addresses", "documents__uploaded_by")
        .get(pk=pk)
    )


def duplicate_customers(
    *, name: str, credit_code: str | None, exclude_pk: int | None = None
) -> dict[str, Customer | None]:
    """Existing customers with the same credit code or (case-insensitively) the same name."""
    qs = Customer.objects.all()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    same_code = qs.filter(credit_code=credit_code).first() if credit_code else None
    same_name = qs.filter(name__iexact=name.strip()).first() if name else None
    return {"credit_code": same_code, "name": same_name}


# Roles that work with every customer; everybody else with view access (the
# account manager) sees only the customers assigned to them.
ALL_CUSTOMER_ROLES = (
    "sales_assistant",
    "sales_manager",
    "sales_director",
    "aftersales",
    "data_admin",
    "legal",
    "general_manager",
)


def customers_visible_to(user: Any, qs: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    from core.roles import has_role

    qs = Customer.objects.all() if qs is None else qs
    if user.is_superuser or has_role(user, *ALL_CUSTOMER_ROLES):
        return qs
    return qs.filter(account_manager=user)
