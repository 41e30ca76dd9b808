from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.validators import credit_code_check_char
from customers.models import Address, Contact, Customer
from orders.models import Product

PASSWORD = "test-pass-123"


def valid_credit_code(n: int) -> str:
    first17 = f"9144{n:013d}"
    return first17 + credit_code_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "测"
    first_name = factory.Sequence(lambda n: f"试{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        self.save()
        if extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试科技有限公司{n}")
    credit_code = factory.Sequence(valid_credit_code)
    region = "north"
    industry = "it"
    qualification_status = "qualified"
    credit_limit = Decimal("100000.00")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "李先生"
    mobile = "13800138000"
    is_primary = True


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    address = "北京市海淀区路1号"
    postcode = "100080"
    is_default = True


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P-{n:04d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    spec = "标准型"
    unit = "台"
    list_price = Decimal("5000.00")


def _days_from_today(days: int):  # type: ignore[no-untyped-def]
    # Imported here so that this appended block leaves the module's imports alone.
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localdate() + timedelta(days=days)


class OrderFactory(factory.django.DjangoModelFactory):
    """An order row; pass ``status=`` here (the FSM field is protected on saved instances).

    Lines do not update ``total_amount``: call ``orders.services.orders.order_recalculate_total``.
    """

    class Meta:
        model = "orders.Order"

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    contact_name = "王经理"
    contact_phone = "13800138000"
    requested_delivery_date = factory.LazyFunction(lambda: _days_from_today(14))
    payment_terms = "net_30"
    delivery_address = "上海市浦东新区张江路88号"
    delivery_postcode = "201203"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.OrderLine"

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    spec = factory.SelfAttribute("product.spec")
    quantity = Decimal("2")
    unit = factory.SelfAttribute("product.unit")
    unit_price = factory.SelfAttribute("product.list_price")


# --- Issue 11: quotations, contracts, the document register -------------------------


def make_quotation(*, owner, customer=None, prices=("5000", "2000", "1000"), quantities=(1, 2, 3)):  # type: ignore[no-untyped-def]
    """A draft quotation with one line per price (catalog products at that list price)."""
    from orders.services.quotations import quotation_create

    customer = customer or CustomerFactory()
    lines = [
        {
            "product": ProductFactory(list_price=Decimal(price)),
            "quantity": Decimal(quantity),
            "unit_price": Decimal(price),
        }
        for price, quantity in zip(prices, quantities, strict=True)
    ]
    return quotation_create(
        actor=owner,
        customer=customer,
        valid_until=_days_from_today(30),
        lines=lines,
        payment_terms="net_30",
        terms="含税含运费",
    )


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.Contract"

    number = factory.Sequence(lambda n: f"HT-2026-{n + 9000:04d}")
    customer = factory.SubFactory(CustomerFactory)
    title = "年度采购框架合同"
    amount = Decimal("200000.00")
    start_date = factory.LazyFunction(lambda: _days_from_today(0))
    end_date = factory.LazyFunction(lambda: _days_from_today(365))
    created_by = factory.SubFactory(UserFactory)
