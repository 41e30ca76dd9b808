"""The approval rules: when the director must approve, and the credit check.

Pure reads — the effects of the approval actions (orders/actions/orders.py) decide what to do
with the answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Max, Min
from django.utils.translation import gettext_lazy as _

from core.messages import Msg
from customers.selectors import CreditStatus, credit_figures, credit_status_from
from orders.models import ApprovalPolicy, Order, PaymentTerms

# The share of the total a customer pays before delivery, per payment terms: that part is
# never owed on credit, so only the rest counts against the credit limit
# (docs/decisions/0009-credit-policy.md). Terms not listed: the whole order counts.
ADVANCE_PERCENT: dict[str, Decimal] = {
    PaymentTerms.PREPAID: Decimal("100"),
    PaymentTerms.DEPOSIT_30: Decimal("30"),
}


@dataclass
class ApprovalHints:
    """What the approver should see: the director rules that apply, discount and price hints."""

    director_reasons: list[str] = field(default_factory=list)
    # The same reasons as language-neutral messages (a notification, a timeline note).
    director_messages: list[Msg] = field(default_factory=list)
    max_discount: Decimal = Decimal("0")
    lowest_price_ratio: Decimal | None = None  # unit price / list price, worst line, in %

    @property
    def needs_director(self) -> bool:
        return bool(self.director_reasons)

    def add_reason(self, message: Msg) -> None:
        self.director_messages.append(message)
        self.director_reasons.append(str(message))


def approval_hints(order: Order, policy: ApprovalPolicy | None = None) -> ApprovalHints:
    """Which of the director rules apply to ``order`` (one aggregate query over its lines)."""
    policy = policy or ApprovalPolicy.current()
    hints = ApprovalHints()
    stats = order.lines.filter(product__list_price__gt=0).aggregate(
        max_discount=Max("discount_percent"),
        lowest_ratio=Min(F("unit_price") * Decimal("100") / F("product__list_price")),
    )
    all_lines = order.lines.aggregate(max_discount=Max("discount_percent"))
    hints.max_discount = all_lines["max_discount"] or Decimal("0")
    if stats["lowest_ratio"] is not None:
        hints.lowest_price_ratio = Decimal(stats["lowest_ratio"]).quantize(Decimal("0.1"))

    if order.total_amount > policy.director_threshold:
        hints.add_reason(
            Msg(
                _("Total %(total)s is above %(threshold)s."),
                total=f"¥{order.total_amount:,.2f}",
                threshold=f"¥{policy.director_threshold:,.2f}",
            )
        )
    if order.payment_terms and order.payment_terms not in policy.standard_payment_terms:
        hints.add_reason(
            Msg(_("Special payment terms: %(terms)s."), terms=PaymentTerms(order.payment_terms))
        )
    if hints.max_discount > policy.max_discount_percent:
        hints.add_reason(
            Msg(
                _("A discount of %(discount)s%% is above the %(limit)s%% allowed."),
                discount=f"{hints.max_discount:g}",
                limit=f"{policy.max_discount_percent:g}",
            )
        )
    floor = Decimal("100") - policy.max_below_list_percent
    if hints.lowest_price_ratio is not None and hints.lowest_price_ratio < floor:
        hints.add_reason(
            Msg(
                _("A unit price is %(cut)s%% below the list price (more than %(limit)s%%)."),
                cut=f"{Decimal('100') - hints.lowest_price_ratio:g}",
                limit=f"{policy.max_below_list_percent:g}",
            )
        )
    return hints


def credit_amount(order: Order) -> Decimal:
    """The part of ``order`` that counts against the customer's credit limit: the total
    less what the payment terms have paid before delivery."""
    advance = ADVANCE_PERCENT.get(order.payment_terms, Decimal("0"))
    return (order.total_amount * (Decimal("100") - advance) / Decimal("100")).quantize(
        Decimal("0.01")
    )


def order_credit_status(
    order: Order,
    policy: ApprovalPolicy | None = None,
    figures: dict[str, Decimal] | None = None,
    *,
    with_figures: bool = False,
) -> CreditStatus:
    """The credit check of ``order`` (docs/workflow.md §6) as the manager's approval runs it.

    ``figures``/``with_figures``: the customer's receivables already read for a list of
    orders (one query for the page, ``customers.selectors.credit_figures``)."""
    policy = policy or ApprovalPolicy.current()
    if not with_figures:
        figures = credit_figures(customer_ids=[order.customer_id]).get(order.customer_id)
    return credit_status_from(
        customer=order.customer,
        figures=figures,
        order_amount=credit_amount(order),
        minimum_collection_rate=policy.minimum_collection_rate,
        order_total=order.total_amount,
    )
