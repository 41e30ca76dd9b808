"""The nightly job on a small generated history, and the pages that read its tables."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from core.models import Notification, SlaClock, SlaKind
from customers.models import Customer
from fulfillment.models import OrderFulfillment, StockLevel, Warehouse
from insights import services
from insights.models import (
    ChurnRisk,
    DeliveryRisk,
    LearningRun,
    ProductPair,
    ReplenishmentDecision,
    ReplenishmentSuggestion,
)
from orders.models import Order, OrderEvent, Product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history():
    from bench import generate

    stats = generate.generate(orders=1500, customers=90, products=50, seed=5, years=3)
    # A small history sells a few units a week; the generated stock would cover it for
    # years. Nothing available: every product that sells needs replenishing.
    from django.db.models import F

    StockLevel.objects.update(on_hand=F("reserved"), in_transit=0)
    return stats


def snapshot() -> dict:
    return {
        "suggestions": sorted(
            ReplenishmentSuggestion.objects.values_list(
                "product_id", "warehouse_id", "suggested_qty", "safety_stock", "forecast", "reason"
            ),
            key=lambda r: (r[0], r[1]),
        ),
        "delivery": sorted(
            DeliveryRisk.objects.values_list("order_id", "score", "level", "reasons")
        ),
        "churn": sorted(
            ChurnRisk.objects.values_list("customer_id", "score", "level", "reasons", "is_key")
        ),
        "rules": sorted(
            ProductPair.objects.values_list(
                "antecedent_id", "consequent_id", "support", "confidence", "lift"
            )
        ),
    }


def test_the_job_run_twice_gives_the_same_results_and_resumes_by_stage(history) -> None:
    today = timezone.localdate()
    run = services.nightly_run(today, force=True)
    assert set(run.stages) == set(services.STAGES) and run.finished_at is not None
    first = snapshot()
    assert first["suggestions"] and first["delivery"] and first["churn"]
    assert any(row[2] and row[2] > 0 for row in first["suggestions"])

    services.nightly_run(today, force=True)
    assert snapshot() == first

    # A finished day is not computed again.
    ReplenishmentSuggestion.objects.all().delete()
    services.nightly_run(today)
    assert not ReplenishmentSuggestion.objects.exists()

    # A run that died after some stages resumes at the first unfinished one.
    run = LearningRun.objects.get(as_of=today)
    run.stages.pop("forecast")
    run.finished_at = None
    run.save()
    churn_marker = run.stages["churn"]
    services.nightly_run(today)
    run.refresh_from_db()
    assert run.finished_at is not None and run.stages["churn"] == churn_marker
    assert snapshot() == first


def test_a_product_with_no_history_gets_no_suggestion_and_the_warehouse_decides_the_others(
    history, client, make_user
) -> None:
    product = Product.objects.create(
        code="NEW-001", name="新品 控制柜", unit="台", list_price=Decimal("10")
    )
    warehouse = Warehouse.objects.order_by("pk").first()
    StockLevel.objects.create(warehouse=warehouse, product=product, on_hand=Decimal("3"))
    services.nightly_run(timezone.localdate(), force=True)

    row = ReplenishmentSuggestion.objects.get(product=product, warehouse=warehouse)
    assert row.suggested_qty is None and row.forecast == []
    with translation.override("en"):
        from insights.selectors import reasons

        assert reasons(row.reason) == [
            "No sales of this product from this warehouse in the last 156 weeks: "
            "no forecast, so no suggestion."
        ]

    client.force_login(make_user("warehouse"))
    page = client.get("/fulfillment/stock/", {"q": "NEW-001"}, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-product="NEW-001"' in html and "no forecast, so no suggestion" in html
    assert 'data-testid="suggestion-decision"' not in html

    # The warehouse accepts or adjusts a suggestion; the decision is recorded.
    suggestion = ReplenishmentSuggestion.objects.filter(suggested_qty__gt=0).order_by("pk").first()
    url = f"/insights/suggestions/{suggestion.pk}/decide/"

    client.force_login(make_user("sales_assistant"))
    assert client.post(url, {"decision": "accept"}).status_code == 403
    keeper = make_user("warehouse")
    client.force_login(keeper)
    refused = client.post(url, {"decision": "adjust", "quantity": "lots"})
    assert refused.status_code == 400
    assert not ReplenishmentDecision.objects.exists()

    assert client.post(url, {"decision": "accept"}).status_code == 302
    accepted = ReplenishmentDecision.objects.get()
    assert accepted.kind == "accepted" and accepted.quantity == suggestion.suggested_qty
    assert accepted.decided_by == keeper

    assert client.post(url, {"decision": "adjust", "quantity": "7"}).status_code == 302
    adjusted = ReplenishmentDecision.objects.order_by("-id").first()
    assert adjusted.kind == "adjusted" and adjusted.quantity == Decimal("7.00")
    # Decisions survive the next night's rebuild and show on the stock page.
    services.nightly_run(timezone.localdate(), force=True)
    assert ReplenishmentDecision.objects.count() == 2
    code = suggestion.product.code
    html = client.get(
        "/fulfillment/stock/", {"q": code}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'data-testid="suggestion-decision"' in html and "Adjusted: 7" in html


def test_scores_show_on_the_order_customer_and_work_pages(history, client, make_user) -> None:
    services.nightly_run(timezone.localdate(), force=True)
    risk = DeliveryRisk.objects.order_by("-score", "order_id").first()
    client.force_login(make_user("sales_manager"))
    html = client.get(f"/orders/{risk.order_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="delivery-risk-score"' in html and f">{risk.score}<" in html
    dashboard = client.get("/insights/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="risk-row"' in dashboard and 'data-testid="churn-row"' in dashboard

    churn = ChurnRisk.objects.exclude(customer__account_manager=None).order_by("-score").first()
    client.force_login(churn.customer.account_manager)
    html = client.get(
        f"/customers/{churn.customer_id}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'data-testid="churn-risk-score"' in html

    client.force_login(make_user("warehouse"))
    warehouse_page = client.get("/fulfillment/warehouse/").content.decode()
    assert (
        "delivery-risk-card" in warehouse_page
        or not DeliveryRisk.objects.filter(
            level__in=("medium", "high"),
            order_id__in=Order.objects.filter(status__in=("confirmed", "preparing")),
        ).exists()
    )

    client.force_login(make_user("aftersales"))
    assert client.get("/insights/").status_code == 403

    # The order form's quiet hint: a product often bought with one on the order.
    a, b = Product.objects.filter(kind="goods").order_by("pk")[:2]
    ProductPair.objects.create(
        antecedent=a,
        consequent=b,
        orders_together=40,
        support=0.04,
        confidence=0.62,
        lift=3.1,
        as_of=timezone.localdate(),
    )
    client.force_login(make_user("sales_assistant"))
    with_a = client.post(
        "/insights/order-hints/", {"lines-0-product": str(a.pk)}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert b.name in with_a and "62 % of orders" in with_a
    both = client.post(
        "/insights/order-hints/",
        {"lines-0-product": str(a.pk), "lines-1-product": str(b.pk)},
    ).content.decode()
    assert "bought-together-hint" not in both
    form = client.get("/orders/new/").content.decode()
    assert 'data-testid="order-form-hint-bought_together"' in form


def test_high_risks_start_follow_ups_through_the_engine_once(history) -> None:
    services.nightly_run(timezone.localdate(), force=True)
    customer = Customer.objects.exclude(account_manager=None).order_by("pk").first()
    ChurnRisk.objects.filter(customer=customer).delete()
    ChurnRisk.objects.create(
        customer=customer,
        score=80,
        level="high",
        is_key=True,
        as_of=timezone.localdate(),
        reasons=[
            {
                "key": "No order for %(days)s days (usually one every %(gap)s days)",
                "params": {"days": 200, "gap": 30},
            }
        ],
    )
    services.stage_follow_up(timezone.localdate())
    services.stage_follow_up(timezone.localdate())
    clocks = SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=customer.pk,
        kind=SlaKind.FOLLOWUP_VISIT,
    )
    assert clocks.count() == 1 and clocks.get().owner == customer.account_manager
    note = Notification.objects.filter(recipient=customer.account_manager).order_by("-id").first()
    with translation.override("en"):
        assert customer.name in note.title_text
    assert ChurnRisk.objects.get(customer=customer).followup_at is not None

    # A high-risk order starts its delivery warning earlier.
    from fulfillment import services as fulfillment

    record = (
        OrderFulfillment.objects.filter(order__status="preparing").select_related("order").first()
    )
    order = record.order
    record.promised_date = timezone.localdate() + timedelta(days=3)
    record.save(update_fields=["promised_date"])
    DeliveryRisk.objects.filter(order_id=order.pk).update(level="low", score=10)
    fulfillment.delivery_risk_start(order, record)
    clock = SlaClock.objects.open().for_target(order).get(kind=SlaKind.DELIVERY_RISK)
    assert clock.due_at - clock.warn_at == timedelta(hours=48)

    DeliveryRisk.objects.filter(order_id=order.pk).update(level="high", score=80)
    services.stage_follow_up(timezone.localdate())
    clock = SlaClock.objects.open().for_target(order).get(kind=SlaKind.DELIVERY_RISK)
    assert clock.due_at - clock.warn_at >= timedelta(hours=72) or clock.warn_at <= timezone.now()
    assert DeliveryRisk.objects.get(order_id=order.pk).warned_early_at is not None
    assert OrderEvent.objects.filter(order=order, action="warn_delivery_early").exists()
    services.stage_follow_up(timezone.localdate())  # once per order
    assert OrderEvent.objects.filter(order=order, action="warn_delivery_early").count() == 1

    # A purchase alert tells the warehouse manager what the history suggests.
    from core.actions import perform

    suggestion = ReplenishmentSuggestion.objects.filter(suggested_qty__gt=0).order_by("pk").first()
    level = StockLevel.objects.select_related("warehouse").get(
        product_id=suggestion.product_id, warehouse_id=suggestion.warehouse_id
    )
    StockLevel.objects.filter(pk=level.pk).update(safety_stock=level.on_hand + 100)
    level.refresh_from_db()
    perform("fulfillment.purchase_alert", actor=None, obj=level)
    told = Notification.objects.filter(recipient=level.warehouse.manager).order_by("-id").first()
    with translation.override("en"):
        assert told.title_text.startswith("Suggested order for ")
        assert "last 6 months" in told.body_text
