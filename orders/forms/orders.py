"""Forms of order entry, review, approval and changes after confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import DecimalValidator
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import roles
from core.people import person_name
from core.validators import validate_mobile, validate_postcode
from customers.models import Customer, Industry, Region
from orders.amounts import LINE_AMOUNT_LIMIT, ORDER_TOTAL_LIMIT, fits, line_amount
from orders.exceptions.orders import MSG_DELIVERY_BEFORE_ORDER
from orders.forms.catalog import MSG_PRICE_NEGATIVE, MSG_PRICE_NOT_A_NUMBER
from orders.models import ContactChannel, Order, OrderLine, Product

MSG_CHOOSE_CUSTOMER = _("Choose a customer: search by name, or create a new one.")
MSG_QUANTITY_NOT_A_NUMBER = _("Enter the quantity as a number, e.g. 10.")
MSG_QUANTITY_POSITIVE = _("The quantity must be greater than 0.")
MSG_LINE_AMOUNT_TOO_LARGE = _(
    "Quantity × unit price is too large for one line: at most %(limit)s CNY."
)
MSG_ORDER_TOTAL_TOO_LARGE = _("The order total is too large: at most %(limit)s CNY.")
MSG_QUICK_CUSTOMER_EXISTS = _("This customer already exists: %(existing)s. Search for it instead.")

# --- order entry -------------------------------------------------------------------

LINE_NUMBER_FIELDS = ("quantity", "unit_price", "discount_percent")


class FiniteDecimalField(forms.DecimalField):
    """A DecimalField that refuses NaN / sNaN / Infinity when it reads the value, not
    only when it validates it: Django compares the value with the initial one to see
    whether an extra line changed, and a signalling NaN raises there (a 500)."""

    def to_python(self, value: Any) -> Decimal | None:
        number = super().to_python(value)
        if number is not None and not number.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


MSG_CHOOSE_PRODUCT = _("Choose a product: search by code, name, spec or pinyin initials.")


class ProductPicker(forms.Widget):
    """The line's product, searched as you type (like the customer): a hidden id and a
    search box whose answers (``orders:product_search``) drop down below it.

    The page carries no catalogue at all, so it stays the same size with 100 products or
    100,000; static/js/order-form.js handles the keyboard and the pick.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The line's product when the form was built from a saved line (no query to show it).
        self.chosen: Product | None = None

    def _product(self, value: Any) -> Product | None:
        key = str(value if value is not None else "").strip()
        if not key.isdigit():
            return None
        if self.chosen is not None and str(self.chosen.pk) == key:
            return self.chosen
        return Product.objects.filter(pk=int(key)).first()

    def render(self, name, value, attrs=None, renderer=None):  # type: ignore[no-untyped-def]
        final_attrs = self.build_attrs(self.attrs, attrs)
        field_id = final_attrs.pop("id", None) or f"id_{name}"
        css = final_attrs.pop("class", "form-control form-control-sm")
        product = self._product(value)
        label = product.label if product is not None else ""
        results = f"{field_id}-results"
        return format_html(
            '<div class="product-picker" data-product-picker>'
            '<input type="hidden" name="{}" id="{}" value="{}" data-product-id>'
            '<input type="search" class="{}" id="{}-q" name="product_q" value="{}"'
            ' data-chosen-label="{}" title="{}" placeholder="{}" aria-label="{}" autocomplete="off"'
            ' role="combobox" aria-autocomplete="list" aria-expanded="false"'
            ' aria-controls="{}" data-product-search'
            ' hx-get="{}" hx-trigger="input changed delay:200ms, search" hx-include="this"'
            ' hx-target="#{}" hx-sync="this:replace">'
            '<div class="product-results list-group" id="{}" role="listbox"></div>'
            "</div>",
            name,
            field_id,
            product.pk if product is not None else "",
            css,
            field_id,
            label,
            label,
            label,
            _("Code, name, spec or pinyin initials"),
            _("Product"),
            results,
            reverse("orders:product_search"),
            results,
            results,
        )

    def value_from_datadict(self, data, files, name):  # type: ignore[no-untyped-def]
        return data.get(name)


class OrderForm(forms.ModelForm):
    """The order header. Blank fields are fine for a draft; submit checks them (services)."""

    confirm_duplicate = forms.BooleanField(
        label=_("This is not a duplicate: submit anyway"), required=False
    )

    class Meta:
        model = Order
        fields = [
            "kind",
            "customer",
            "contact_name",
            "contact_phone",
            "order_date",
            "requested_delivery_date",
            "payment_terms",
            "payment_note",
            "delivery_address",
            "delivery_postcode",
            "special_requirements",
            "source_channel",
            "urgency",
            "owner",
        ]
        widgets = {
            "customer": forms.HiddenInput(),
            "order_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "requested_delivery_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "special_requirements": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicate_found = False
        user_model = get_user_model()
        self.fields["owner"].queryset = (
            user_model.objects.filter(
                groups__name__in=[
                    roles.SALES_ASSISTANT,
                    roles.SALES_MANAGER,
                    roles.ACCOUNT_MANAGER,
                ],
                is_active=True,
            )
            .distinct()
            .order_by("username")
        )
        self.fields["owner"].label_from_instance = person_name
        self.fields["owner"].required = False
        if not self.instance.pk and not self.initial.get("owner"):
            self.initial["owner"] = user.pk
        self.fields["customer"].error_messages["required"] = MSG_CHOOSE_CUSTOMER
        self.fields["payment_note"].widget.attrs["placeholder"] = _(
            "e.g. balance within 7 days after acceptance"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        order_date, delivery = cleaned.get("order_date"), cleaned.get("requested_delivery_date")
        if order_date and delivery and delivery < order_date:
            self.add_error("requested_delivery_date", MSG_DELIVERY_BEFORE_ORDER)
        return cleaned


class OrderLineForm(forms.ModelForm):
    class Meta:
        model = OrderLine
        fields = ["product", "spec", "quantity", "unit", "unit_price", "discount_percent"]
        widgets = {
            "quantity": forms.NumberInput(attrs={"step": "1", "min": "0"}),
            "unit_price": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "discount_percent": forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "100"}),
        }
        error_messages = {
            "quantity": {"invalid": MSG_QUANTITY_NOT_A_NUMBER},
            "unit_price": {"invalid": MSG_PRICE_NOT_A_NUMBER, "min_value": MSG_PRICE_NEGATIVE},
        }
        field_classes = dict.fromkeys(LINE_NUMBER_FIELDS, FiniteDecimalField)

    def __init__(self, *args: Any, show_prices: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        widget = ProductPicker()
        on_sale = Q(is_active=True)
        if self.instance.product_id:
            # A saved line keeps its product even after it went off sale.
            on_sale |= Q(pk=self.instance.product_id)
            widget.chosen = self.instance.product
        field.queryset = Product.objects.filter(on_sale)
        field.widget = widget
        field.error_messages["required"] = MSG_CHOOSE_PRODUCT
        field.error_messages["invalid_choice"] = MSG_CHOOSE_PRODUCT

    def clean_quantity(self) -> Decimal | None:
        quantity = self.cleaned_data.get("quantity")
        if quantity is not None and quantity <= 0:
            raise forms.ValidationError(MSG_QUANTITY_POSITIVE)
        return quantity

    def amount(self) -> Decimal | None:
        """The line's amount from its valid numbers; None while one is missing or wrong."""
        data = getattr(self, "cleaned_data", {})
        if any(name in self.errors for name in LINE_NUMBER_FIELDS):
            return None
        quantity, price = data.get("quantity"), data.get("unit_price")
        if quantity is None or price is None:
            return None
        return line_amount(quantity, price, data.get("discount_percent") or Decimal("0"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        check_line_amount(self)
        return cleaned


def money_error(message: Any, limit: Decimal) -> forms.ValidationError:
    return forms.ValidationError(message, params={"limit": f"{limit:,.2f}"})


def check_line_amount(form: Any) -> None:
    """Each number may fit its column while their product does not fit the amount's."""
    amount = form.amount()
    if amount is not None and not fits(amount, LINE_AMOUNT_LIMIT):
        form.add_error(None, money_error(MSG_LINE_AMOUNT_TOO_LARGE, LINE_AMOUNT_LIMIT))


def _line_number_field(name: str) -> forms.Field:
    """The entry form's field for a line number (same digits, bounds and messages), optional."""
    model_field = OrderLine._meta.get_field(name)
    return model_field.formfield(  # type: ignore[no-any-return]
        form_class=FiniteDecimalField,
        required=False,
        validators=[v for v in model_field.validators if not isinstance(v, DecimalValidator)],
        error_messages=OrderLineForm.Meta.error_messages.get(name, {}),
    )


class LineNumbersForm(forms.Form):
    """The numbers of one entry line for the live totals, checked as the line form checks
    them before anything is computed; a blank number is no error yet (still typing)."""

    quantity = _line_number_field("quantity")
    unit_price = _line_number_field("unit_price")
    discount_percent = _line_number_field("discount_percent")

    clean_quantity = OrderLineForm.clean_quantity
    amount = OrderLineForm.amount

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        check_line_amount(self)
        return cleaned


class BaseOrderLineFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args: Any, show_prices: bool = True, **kwargs: Any) -> None:
        self.show_prices = show_prices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "show_prices": self.show_prices}

    def get_queryset(self) -> Any:
        # Each line's picker shows its product: fetched with the lines, not one by one.
        return super().get_queryset().select_related("product")

    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if not self._should_delete_form(form)]
        if any(form.errors for form in kept):
            return
        total = sum((form.amount() or Decimal("0") for form in kept), Decimal("0"))
        if not fits(total, ORDER_TOTAL_LIMIT):
            raise money_error(MSG_ORDER_TOTAL_TOO_LARGE, ORDER_TOTAL_LIMIT)


OrderLineFormSet = forms.inlineformset_factory(
    Order,
    OrderLine,
    form=OrderLineForm,
    formset=BaseOrderLineFormSet,
    extra=0,
    can_delete=True,
)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReviewPassForm(forms.Form):
    note = forms.CharField(
        label=_("Review note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ContactLogForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    person = forms.CharField(label=_("Customer contact"), max_length=50)
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPG or PNG, at most 10 MB."))


class QuickCustomerForm(forms.Form):
    """The minimum to start an order for a new customer; the rest is filled in later."""

    name = forms.CharField(label=_("Customer name"), max_length=200)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    contact_name = forms.CharField(label=_("Contact"), max_length=50)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, validators=[validate_mobile])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        existing = Customer.objects.filter(name__iexact=name).first()
        if existing is not None:
            raise forms.ValidationError(
                MSG_QUICK_CUSTOMER_EXISTS, params={"existing": f"{existing.code} {existing.name}"}
            )
        return name


class OrderChangeForm(forms.Form):
    """A change to a confirmed order: dates, address, requirements and line quantities/prices."""

    requested_delivery_date = forms.DateField(
        label=_("Requested delivery date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=300, required=False)
    delivery_postcode = forms.CharField(
        label=_("Postcode"), max_length=6, required=False, validators=[validate_postcode]
    )
    special_requirements = forms.CharField(
        label=_("Special requirements"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2})
    )

    HEADER_FIELDS = (
        "requested_delivery_date",
        "delivery_address",
        "delivery_postcode",
        "special_requirements",
    )

    def __init__(self, *args: Any, order: Order, lines: list[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order, self.lines = order, lines
        for name in self.HEADER_FIELDS:
            self.fields[name].initial = getattr(order, name)
        for line in lines:
            self.fields[f"line_{line.pk}_quantity"] = FiniteDecimalField(
                label=_("Quantity"),
                min_value=Decimal("0.01"),
                max_digits=12,
                decimal_places=2,
                initial=line.quantity,
                error_messages={"invalid": MSG_QUANTITY_NOT_A_NUMBER},
            )
            self.fields[f"line_{line.pk}_unit_price"] = FiniteDecimalField(
                label=_("Unit price"),
                min_value=Decimal("0"),
                max_digits=14,
                decimal_places=2,
                initial=line.unit_price,
                error_messages={"invalid": MSG_PRICE_NOT_A_NUMBER, "min_value": MSG_PRICE_NEGATIVE},
            )

    def line_fields(self) -> list[tuple[OrderLine, forms.BoundField, forms.BoundField]]:
        return [
            (line, self[f"line_{line.pk}_quantity"], self[f"line_{line.pk}_unit_price"])
            for line in self.lines
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        delivery = cleaned.get("requested_delivery_date")
        if delivery and delivery < self.order.order_date:
            self.add_error("requested_delivery_date", MSG_DELIVERY_BEFORE_ORDER)
        total = Decimal("0")
        for line in self.lines:
            quantity = cleaned.get(f"line_{line.pk}_quantity")
            price = cleaned.get(f"line_{line.pk}_unit_price")
            if quantity is None or price is None:
                return cleaned  # that number has its own error
            amount = line_amount(quantity, price, line.discount_percent)
            if not fits(amount, LINE_AMOUNT_LIMIT):
                self.add_error(
                    f"line_{line.pk}_quantity",
                    money_error(MSG_LINE_AMOUNT_TOO_LARGE, LINE_AMOUNT_LIMIT),
                )
                return cleaned
            total += amount
        if not fits(total, ORDER_TOTAL_LIMIT):
            self.add_error(None, money_error(MSG_ORDER_TOTAL_TOO_LARGE, ORDER_TOTAL_LIMIT))
        return cleaned

    def payload(self) -> dict[str, Any]:
        """Only what differs from the order: {"order": {...}, "lines": {pk: {...}}} as JSON."""
        data = self.cleaned_data
        header = {}
        for name in self.HEADER_FIELDS:
            new, old = data.get(name), getattr(self.order, name)
            if (new or None) != (old or None):
                header[name] = new.isoformat() if hasattr(new, "isoformat") else (new or "")
        lines: dict[str, dict[str, str]] = {}
        for line in self.lines:
            for name in ("quantity", "unit_price"):
                new = data.get(f"line_{line.pk}_{name}")
                if new is not None and new != getattr(line, name):
                    lines.setdefault(str(line.pk), {})[name] = str(new)
        payload: dict[str, Any] = {}
        if header:
            payload["order"] = header
        if lines:
            payload["lines"] = lines
        return payload
