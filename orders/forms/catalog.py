"""The catalog's forms: a product, and the product list's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import Product, ProductKind

MSG_PRICE_NOT_A_NUMBER = _("Enter the price as a number, e.g. 5000.00.")
MSG_PRICE_NEGATIVE = _("The price cannot be negative.")
MSG_PRICE_TOO_LARGE = _("The price is too large.")
MSG_PRICE_DECIMALS = _("A price has at most 2 decimal places (fen).")


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["code", "name", "spec", "unit", "list_price", "kind", "description", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "list_price": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }
        error_messages = {
            "list_price": {
                "invalid": MSG_PRICE_NOT_A_NUMBER,
                "min_value": MSG_PRICE_NEGATIVE,
                "max_digits": MSG_PRICE_TOO_LARGE,
                "max_whole_digits": MSG_PRICE_TOO_LARGE,
                "max_decimal_places": MSG_PRICE_DECIMALS,
            }
        }

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("All")), *ProductKind.choices]
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("1", _("On sale")), ("0", _("Discontinued"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Code, name or model")
