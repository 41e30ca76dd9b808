"""Read queries for customer pages, written for the database (constant query counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.messages import Msg
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


@dataclass(frozen=True)
class CreditStatus:
    """The credit check of docs/workflow.md §6: receivables + this order vs limit, collection rate."""

    limit: Decimal
    outstanding: Decimal
    order_amount: Decimal
    collection_rate: Decimal | None  # received / due over the last three months; None: nothing due
    minimum_collection_rate: Decimal
    overdue: Decimal
    # The order's whole total when only part of it counts (``order_amount``: what is not
    # paid in advance, docs/decisions/0009-credit-policy.md); None: the whole order counts.
    order_total: Decimal | None = None

    @property
    def exposure(self) -> Decimal:
        return self.outstanding + self.order_amount

    @property
    def available(self) -> Decimal:
        return self.limit - self.outstanding

    @property
    def over_limit(self) -> bool:
        return self.exposure > self.limit

    @property
    def low_collection(self) -> bool:
        return (
            self.collection_rate is not None and self.collection_rate < self.minimum_collection_rate
        )

    @property
    def passes(self) -> bool:
        return not self.over_limit and not self.low_collection

    def reasons(self) -> list[str]:
        """Why the check fails, in the active language."""
        return [str(message) for message in self.messages()]

    def messages(self) -> list[Msg]:
        """Why the check fails, as language-neutral messages (a timeline note, a notification)."""
        from django.utils.translation import gettext_lazy as _

        reasons = []
        values = {
            "outstanding": f"¥{self.outstanding:,.2f}",
            "order": f"¥{self.order_amount:,.2f}",
            "limit": f"¥{self.limit:,.2f}",
            "total": f"¥{(self.order_total or self.order_amount):,.2f}",
        }
        if self.over_limit and self.order_total is not None:
            reasons.append(
                Msg(
                    _(
                        "Receivables %(outstanding)s + the part of this order not paid in advance "
                        "%(order)s (of %(total)s) exceed the credit limit %(limit)s."
                    ),
                    **values,
                )
            )
        elif self.over_limit:
            reasons.append(
                Msg(
                    _(
                        "Receivables %(outstanding)s + this order %(order)s exceed the credit limit %(limit)s."
                    ),
                    **values,
                )
            )
        if self.low_collection:
            reasons.append(
                Msg(
                    _(
                        "Collection rate over the last three months is %(rate)s%%, below %(minimum)s%%."
                    ),
                    rate=f"{self.collection_rate:.0f}",
                    minimum=f"{self.minimum_collection_rate:.0f}",
                )
            )
        return reasons


def credit_figures(
    *, customer_ids: list[int], today: date | None = None
) -> dict[int, dict[str, Decimal]]:
    """Receivables and the last three months' collection per customer, in one query."""
    from customers.models import PaymentRecord

    today = today or timezone.localdate()
    open_amount = ExpressionWrapper(
        F("invoiced_amount") - F("received_amount"), output_field=DecimalField()
    )
    window = Q(due_date__gte=today - timedelta(days=91), due_date__lte=today)
    zero = Decimal("0")
    rows = (
        PaymentRecord.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(
            open_total=Coalesce(Sum(open_amount), zero),
            overdue=Coalesce(Sum(open_amount, filter=Q(due_date__lt=today)), zero),
            due=Coalesce(Sum("invoiced_amount", filter=window), zero),
            received=Coalesce(Sum("received_amount", filter=window), zero),
        )
    )
    return {
        row["customer_id"]: {
            "outstanding": row["open_total"],
            "overdue": row["overdue"],
            "due": row["due"],
            "received": row["received"],
        }
        for row in rows
    }


def credit_status_from(
    *,
    customer: Customer,
    figures: dict[str, Decimal] | None,
    order_amount: Decimal,
    minimum_collection_rate: Decimal,
    order_total: Decimal | None = None,
) -> CreditStatus:
    figures = figures or {}
    zero = Decimal("0")
    due, received = figures.get("due", zero), figures.get("received", zero)
    rate = None
    if due > 0:
        rate = (min(received, due) * 100 / due).quantize(Decimal("0.1"))
    return CreditStatus(
        limit=customer.credit_limit,
        outstanding=max(figures.get("outstanding", zero), zero),
        order_amount=order_amount,
        collection_rate=rate,
        minimum_collection_rate=minimum_collection_rate,
        overdue=max(figures.get("overdue", zero), zero),
        order_total=order_total if order_total != order_amount else None,
    )


def credit_status(
    *,
    customer: Customer,
    order_amount: Decimal = Decimal("0"),
    today: date | None = None,
    minimum_collection_rate: Decimal = Decimal("80"),
    order_total: Decimal | None = None,
) -> CreditStatus:
    """The credit check for one customer and an order amount (``order_amount``: the part
    that counts against the limit; ``order_total``: the whole order, when it differs)."""
    figures = credit_figures(customer_ids=[customer.pk], today=today).get(customer.pk)
    return credit_status_from(
        customer=customer,
        figures=figures,
        order_amount=order_amount,
        minimum_collection_rate=minimum_collection_rate,
        order_total=order_total,
    )
