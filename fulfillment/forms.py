"""Forms of the fulfillment pages. Business rules live in services.py, not here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fulfillment.models import (
    CustomerAnswer,
    ProgressEntry,
    ShipmentPreparation,
    ShippingMethod,
    StockStatus,
    Warehouse,
)
from orders.models import Product

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StockConfirmForm(forms.Form):
    """One stock-status choice per order line, plus the deliverable date."""

    deliverable_date = forms.DateField(label=_("Deliverable date"), widget=DATE)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for fline in lines:
            self.fields[f"line_{fline.order_line_id}"] = forms.ChoiceField(
                label=str(fline.order_line.product),
                choices=StockStatus.choices,
                initial=StockStatus.IN_STOCK
                if fline.reserved >= fline.quantity
                else StockStatus.SHORT,
            )

    def line_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(fline, self[f"line_{fline.order_line_id}"]) for fline in self.lines]

    def line_statuses(self) -> dict[int, str]:
        return {f.order_line_id: self.cleaned_data[f"line_{f.order_line_id}"] for f in self.lines}


class WarehouseForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Customer's answer"), choices=[c for c in CustomerAnswer.choices if c[0]]
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProgressEntryForm(forms.ModelForm):
    class Meta:
        model = ProgressEntry
        fields = [
            "stage",
            "owner",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "note",
            "problem",
            "solution",
            "next_step",
        ]
        widgets = {
            "planned_start": DATE,
            "planned_end": DATE,
            "actual_start": DATE,
            "actual_end": DATE,
            "note": forms.Textarea(attrs={"rows": 2}),
            "problem": forms.Textarea(attrs={"rows": 2}),
            "solution": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from core import roles

        # A stage is owned by the warehouse / production people (docs/workflow.md §2),
        # the only ones the action accepts.
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name=roles.WAREHOUSE)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        self.fields["owner"].label_from_instance = _person


def _person(user: Any) -> str:
    from core.people import person_name

    return person_name(user)


class PreparationForm(forms.ModelForm):
    class Meta:
        model = ShipmentPreparation
        fields = ["packing", "package_count", "gross_weight_kg", "qc_result", "qc_report"]
        widgets = {"qc_report": forms.Textarea(attrs={"rows": 2})}


class ShipmentForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    method = forms.ChoiceField(label=_("Shipping method"), choices=ShippingMethod.choices)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)
    eta = forms.DateField(label=_("Estimated arrival"), widget=DATE)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for fline in lines:
            self.fields[f"qty_{fline.order_line_id}"] = forms.DecimalField(
                label=str(fline.order_line.product),
                min_value=Decimal("0"),
                decimal_places=2,
                required=False,
                initial=fline.remaining.normalize() if fline.remaining > 0 else None,
            )

    def line_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(fline, self[f"qty_{fline.order_line_id}"]) for fline in self.lines]

    def quantities(self) -> dict[int, Decimal]:
        return {
            f.order_line_id: self.cleaned_data.get(f"qty_{f.order_line_id}") or Decimal("0")
            for f in self.lines
        }


class ReceiveForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(kind="goods").order_by("code")
    )
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.01"), decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=300, initial="")
