from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import Product, ProductKind


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["code", "name", "spec", "unit", "list_price", "kind", "description", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "list_price": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
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
