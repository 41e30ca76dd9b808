"""Forms of the quotation pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.amounts import LINE_AMOUNT_LIMIT, fits, line_amount
from orders.forms.orders import MSG_LINE_AMOUNT_TOO_LARGE, FiniteDecimalField, money_error
from orders.models import Product, Quotation


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        # <input type="date"> only takes ISO dates, whatever the language's date format.
        super().__init__(attrs, format=format or "%Y-%m-%d")


class QuotationForm(forms.ModelForm):
    class Meta:
        model = Quotation
        fields = [
            "customer",
            "contact_name",
            "valid_until",
            "payment_terms",
            "delivery_terms",
            "terms",
        ]
        widgets = {"valid_until": DateInput(), "terms": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        if not self.instance.pk and not self.initial.get("valid_until"):
            self.initial["valid_until"] = timezone.localdate() + timedelta(days=30)


def _number() -> forms.NumberInput:
    return forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "any"})


class QuotationLineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    # The digits of the line's columns (orders.models.PricedLine), NaN / Infinity refused.
    quantity = FiniteDecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=_number(),
    )
    unit_price = FiniteDecimalField(
        label=_("Unit price"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        required=False,
        widget=_number(),
    )
    discount_percent = FiniteDecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        required=False,
        widget=_number(),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", _("Enter the quantity."))
        quantity, price = data.get("quantity"), data.get("unit_price")
        if quantity is not None and price is not None:
            amount = line_amount(quantity, price, data.get("discount_percent") or Decimal("0"))
            if not fits(amount, LINE_AMOUNT_LIMIT):
                self.add_error(
                    "quantity", money_error(MSG_LINE_AMOUNT_TOO_LARGE, LINE_AMOUNT_LIMIT)
                )
        return data


QuotationLineFormSet = forms.formset_factory(QuotationLineForm, extra=0, min_num=1)


def lines_from(formset: Any) -> list[dict[str, Any]]:
    """The filled rows of a valid line formset, as quotation_save expects them."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or not data.get("product"):
            continue
        product = data["product"]
        rows.append(
            {
                "product": product,
                "quantity": data["quantity"],
                "unit_price": product.list_price
                if data.get("unit_price") is None
                else data["unit_price"],
                "discount_percent": data.get("discount_percent") or Decimal("0"),
            }
        )
    return rows


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class LinkContractForm(forms.Form):
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=None, required=False)

    def __init__(self, *args: Any, contracts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts
