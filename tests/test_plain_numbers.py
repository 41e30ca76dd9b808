"""Pre-filled numbers read as a person writes them: 10, not "1E+1" nor "10.00"
(core.forms.PortalFormRenderer, the portal's FORM_RENDERER: every form of every app)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django import forms

from core.forms import plain_decimal
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("10.00"), "10"),
        (Decimal("10.00").normalize(), "10"),  # Decimal("1E+1")
        (Decimal("1E+3"), "1000"),
        (Decimal("2.50"), "2.5"),
        (Decimal("0.01"), "0.01"),
        (Decimal("0.00"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("-3.10"), "-3.1"),
        (Decimal("5000"), "5000"),
    ],
)
def test_plain_decimal_writes_no_exponent_and_no_trailing_zeros(value, shown):
    assert plain_decimal(value) == shown


def value_of(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input {name}"
    found = re.search(r'value="([^"]*)"', match.group(0))
    return found.group(1) if found else ""


def test_every_form_shows_every_kind_of_decimal_initial_plainly():
    class Form(forms.Form):
        field_initial = forms.DecimalField(initial=Decimal("10.00").normalize())
        form_initial = forms.DecimalField()
        callable_initial = forms.DecimalField(initial=lambda: Decimal("2.50"))

    html = str(Form(initial={"form_initial": Decimal("1E+2")}))
    assert value_of(html, "field_initial") == "10"
    assert value_of(html, "form_initial") == "100"
    assert value_of(html, "callable_initial") == "2.5"
    # What the user typed is shown as typed, and an untouched form has not changed.
    bound = Form(
        data={"field_initial": "10", "form_initial": "100", "callable_initial": "2.5"},
        initial={"form_initial": Decimal("1E+2")},
    )
    assert not bound.has_changed()
    assert value_of(str(Form(data={"field_initial": "10.50"})), "field_initial") == "10.50"


@pytest.mark.django_db
def test_the_acceptance_form_prefills_the_delivered_quantity_as_10():
    from aftersales.forms import AcceptanceForm

    line = OrderLineFactory(quantity=Decimal("10.00"))
    html = str(AcceptanceForm(order_lines=[line]))
    assert value_of(html, f"qty_{line.pk}") == "10"
    assert "E+" not in html


@pytest.mark.django_db
def test_the_shipment_form_prefills_what_remains_to_ship_plainly():
    from fulfillment import services
    from fulfillment.forms import PreparationForm, ShipmentForm
    from fulfillment.models import AllocationRule, ShipmentPreparation, Warehouse

    warehouse = Warehouse.objects.create(code="PN", name="北京仓", city="北京")
    AllocationRule.objects.create(region="", warehouse=warehouse, priority=10)
    order = OrderFactory(status="confirmed")
    OrderLineFactory(order=order, product=ProductFactory(), quantity=Decimal("20.00"))
    fulfillment = services.fulfillment_allocate(order=order)
    assert fulfillment is not None
    fline = fulfillment.lines.get()
    html = str(ShipmentForm(lines=[fline]))
    assert value_of(html, f"qty_{fline.order_line_id}") == "20"
    assert "E+" not in html

    preparation = ShipmentPreparation(order=order, gross_weight_kg=Decimal("120.50"))
    assert value_of(str(PreparationForm(instance=preparation)), "gross_weight_kg") == "120.5"


@pytest.mark.django_db
def test_order_line_and_change_forms_prefill_quantities_and_prices_plainly():
    from orders.forms.catalog import ProductForm
    from orders.forms.orders import OrderChangeForm, OrderLineForm

    order = OrderFactory(status="confirmed")
    line = OrderLineFactory(order=order, quantity=Decimal("10.00"), unit_price=Decimal("5000.00"))
    html = str(OrderLineForm(instance=line))
    assert value_of(html, "quantity") == "10"
    assert value_of(html, "unit_price") == "5000"

    html = str(OrderChangeForm(order=order, lines=[line]))
    assert value_of(html, f"line_{line.pk}_quantity") == "10"
    assert value_of(html, f"line_{line.pk}_unit_price") == "5000"

    product = ProductFactory(list_price=Decimal("1200.50"))
    assert value_of(str(ProductForm(instance=product)), "list_price") == "1200.5"
