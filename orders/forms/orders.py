"""Forms of order entry, review, approval and changes after confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core import roles
from core.people import person_name
from core.validators import validate_mobile, validate_postcode
from customers.models import Customer, Industry, Region
from orders.exceptions.orders import MSG_DELIVERY_BEFORE_ORDER
from orders.forms.catalog import MSG_PRICE_NEGATIVE, MSG_PRICE_NOT_A_NUMBER
from orders.models import ContactChannel, Order, OrderLine, Product

MSG_CHOOSE_CUSTOMER = _("Choose a customer: search by name, or create a new one.")
MSG_QUANTITY_NOT_A_NUMBER = _("Enter the quantity as a number, e.g. 10.")
MSG_QUANTITY_POSITIVE = _("The quantity must be greater than 0.")
MSG_QUICK_CUSTOMER_EXISTS = _("This customer already exists: %(existing)s. Search for it instead.")

# --- order entry -------------------------------------------------------------------


class ProductSelect(forms.Select):
    """A product picker whose options carry spec, unit and list price for the entry form."""

    def __init__(self, *args: Any, show_prices: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_prices = show_prices

    def _label(self, product: Any) -> str:
        price = f" ¥{product.list_price:,.2f}" if self.show_prices else ""
        return f"{product.code} {product.name} · {product.spec}{price}"

    def render(self, name, value, attrs=None, renderer=None):  # type: ignore[no-untyped-def]
        """A select whose options carry data-spec/-unit/-price, built in one pass.

        A catalogue of 5,000 products made Django render 5,000 option templates per
        line: 700 ms for the order form. Strings are escaped by ``format_html``.
        """
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = []
        for option_value, option_label in self.choices:
            key = "" if option_value is None else str(option_value)
            selected = mark_safe(" selected") if key in chosen else ""
            product = getattr(option_value, "instance", None)
            if product is None:
                options.append(
                    format_html('<option value="{}"{}>{}</option>', key, selected, option_label)
                )
                continue
            options.append(
                format_html(
                    '<option value="{}" data-spec="{}" data-unit="{}" data-price="{}"{}>{}</option>',
                    key,
                    product.spec,
                    product.unit,
                    str(product.list_price) if self.show_prices else "",
                    selected,
                    self._label(product),
                )
            )
        return format_html(
            "<select{}>{}</select>",
            flatatt(final_attrs),
            mark_safe("".join(options)),  # noqa: S308
        )


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

    def __init__(self, *args: Any, show_prices: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        field.queryset = Product.objects.filter(is_active=True).order_by("code")
        field.widget = ProductSelect(choices=field.choices, show_prices=show_prices)
        field.widget.attrs["data-product-select"] = ""

    def clean_quantity(self) -> Decimal | None:
        quantity = self.cleaned_data.get("quantity")
        if quantity is not None and quantity <= 0:
            raise forms.ValidationError(MSG_QUANTITY_POSITIVE)
        return quantity


class BaseOrderLineFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args: Any, show_prices: bool = True, **kwargs: Any) -> None:
        self.show_prices = show_prices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "show_prices": self.show_prices}


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
            self.fields[f"line_{line.pk}_quantity"] = forms.DecimalField(
                label=_("Quantity"),
                min_value=Decimal("0.01"),
                max_digits=12,
                decimal_places=2,
                initial=line.quantity,
                error_messages={"invalid": MSG_QUANTITY_NOT_A_NUMBER},
            )
            self.fields[f"line_{line.pk}_unit_price"] = forms.DecimalField(
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
