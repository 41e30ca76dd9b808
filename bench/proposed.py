"""The changes proposed in bench/RESULTS.md, applied in memory to measure them (``--proposed``).

Nothing here changes the code on disk: the benchmark process patches the list
view's filter form and tab counts so the numbers of the proposal can be
compared with the code as it is, in the same run and on the same data.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, QuerySet

COUNTS_TTL = 30


def apply() -> None:
    from customers.models import Customer
    from orders import list_views, selectors
    from orders.models import Order

    original_init = list_views.OrderFilterForm.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # Customer: any customer id is valid (one PK lookup); the page renders only the
        # chosen one and the browser searches through orders:customer_search (htmx).
        field = self.fields["customer"]
        field.queryset = Customer.objects.all()
        field.widget = forms.Select()
        chosen = self.data.get("customer") if self.is_bound else None
        field.widget.choices = [("", "")] + (
            [(c.pk, c.name) for c in Customer.objects.filter(pk=chosen)]
            if chosen and str(chosen).isdigit()
            else []
        )
        # Owner: a semi-join on the owner index instead of DISTINCT over every order.
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(Exists(Order.objects.filter(owner=OuterRef("pk"))))
            .order_by("last_name", "first_name", "username")
        )

    list_views.OrderFilterForm.__init__ = init
    original_counts = selectors.order_status_counts

    def counts(qs: QuerySet[Order]) -> dict[str, int]:
        # The unfiltered tab counts are the same for everybody: cached briefly.
        # A filtered list counts its own (index-backed, small) set as before.
        if qs.query.where:
            return original_counts(qs)

        def compute() -> dict[str, int]:
            rows = qs.order_by().values("status").annotate(n=Count("pk"))
            result = {row["status"]: row["n"] for row in rows}
            result["all"] = sum(result.values())
            return result

        return cache.get_or_set("bench:order_status_counts", compute, COUNTS_TTL)

    selectors.order_status_counts = counts
