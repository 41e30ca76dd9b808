"""Forms of the after-sales pages. Uploads are checked here for a message in place and again
by the services (the one entry point that must never store a bad file)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.models import (
    FollowUpVisit,
    IssueType,
    LineResult,
    RepairRecord,
    TicketKind,
)
from aftersales.services import LineInput, photo_validate
from core import roles
from core.uploads import DOCUMENT_KINDS, validate_upload
from orders.models import OrderLine

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; each is checked for type, size and readability."""

    # On a phone the input opens the back camera (the content is still checked: JPEG or PNG).
    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultiplePhotoField, self).clean(item, initial) for item in files]
        for upload in cleaned:
            photo_validate(upload)
        return cleaned


class AcceptanceForm(forms.Form):
    """Signer, date, signed receipt, and per order line: result, quantity, issue and photos."""

    signer = forms.CharField(label=_("Signed by (customer)"), max_length=50)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE, initial=timezone.localdate)
    receipt = forms.FileField(
        label=_("Signed receipt"),
        help_text=_("PDF, JPEG or PNG of the receipt the customer signed."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, order_lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = order_lines
        for line in order_lines:
            self.fields[f"result_{line.pk}"] = forms.ChoiceField(
                label=_("Acceptance result"),
                choices=LineResult.choices,
                initial=LineResult.ACCEPTED,
            )
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                label=_("Quantity"),
                min_value=0,
                max_value=line.quantity,
                decimal_places=2,
                initial=line.quantity.normalize(),
            )
            self.fields[f"issue_type_{line.pk}"] = forms.ChoiceField(
                label=_("Issue type"),
                choices=[("", "—"), *IssueType.choices],
                required=False,
            )
            self.fields[f"issue_{line.pk}"] = forms.CharField(
                label=_("Issue description"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"photos_{line.pk}"] = MultiplePhotoField(label=_("Photos"))

    def line_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "line": line,
                "result": self[f"result_{line.pk}"],
                "qty": self[f"qty_{line.pk}"],
                "issue_type": self[f"issue_type_{line.pk}"],
                "issue": self[f"issue_{line.pk}"],
                "photos": self[f"photos_{line.pk}"],
            }
            for line in self.order_lines
        ]

    def clean_receipt(self) -> Any:
        receipt = self.cleaned_data["receipt"]
        validate_upload(receipt, kinds=DOCUMENT_KINDS)
        return receipt

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for line in self.order_lines:
            if data.get(f"result_{line.pk}", LineResult.ACCEPTED) == LineResult.ACCEPTED:
                continue
            if not data.get(f"issue_type_{line.pk}"):
                self.add_error(f"issue_type_{line.pk}", _("Choose the type of the issue."))
            if not (data.get(f"issue_{line.pk}") or "").strip():
                self.add_error(f"issue_{line.pk}", _("Describe the issue."))
        return data

    def line_inputs(self) -> list[LineInput]:
        data = self.cleaned_data
        return [
            LineInput(
                order_line_id=line.pk,
                result=data[f"result_{line.pk}"],
                quantity=data[f"qty_{line.pk}"],
                issue_type=data.get(f"issue_type_{line.pk}") or "",
                description=data.get(f"issue_{line.pk}") or "",
                photos=data.get(f"photos_{line.pk}") or [],
            )
            for line in self.order_lines
        ]


def aftersales_people() -> Any:
    return (
        get_user_model()
        .objects.filter(groups__name=roles.AFTERSALES, is_active=True)
        .order_by("last_name", "first_name", "pk")
        .distinct()
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        from core.templatetags.portal import person

        return str(person(obj))


class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices)
    description = forms.CharField(
        label=_("Problem description"), widget=forms.Textarea(attrs={"rows": 3})
    )
    customer_request = forms.CharField(label=_("Customer's request"), required=False)
    owner = PersonChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = aftersales_people()


class AssignForm(forms.Form):
    owner = PersonChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = aftersales_people()


class OrderLineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.position}. {obj.product.name} ({obj.spec or obj.product.spec}) × {obj.quantity.normalize():f}"


def _replacement_fields(form: forms.Form, order_lines: Any, *, required: bool, prefix: str) -> None:
    """Which order line, how many (one by default, never the whole line) and what of it."""
    form.fields[f"{prefix}line"] = OrderLineChoiceField(
        label=_("Order line replaced"), queryset=order_lines, required=required
    )
    form.fields[f"{prefix}quantity"] = forms.DecimalField(
        label=_("Quantity replaced"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        required=required,
        initial=1,
    )
    form.fields[f"{prefix}item"] = forms.CharField(
        label=_("What is replaced"),
        max_length=200,
        required=False,
        help_text=_("The whole unit, or the part that is replaced (e.g. the outer carton)."),
    )


class RespondForm(forms.Form):
    """A response; answering with a replacement names it (line, how many, what)."""

    text = forms.CharField(label=_("Response"), widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label=_("Solution"), choices=TicketKind.choices)
    promised_date = forms.DateField(
        label=_("Promised resolution date"), required=False, widget=DATE
    )

    def __init__(self, *args: Any, order_lines: Any = None, **kwargs: Any) -> None:
        """``order_lines``: the lines a replacement may name — None once the ticket has a
        replacement (a later response is a progress note; more is added on its own form)."""
        super().__init__(*args, **kwargs)
        if order_lines is not None:
            _replacement_fields(self, order_lines, required=False, prefix="replacement_")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "replacement_line" not in self.fields:
            return data
        if data.get("kind") != TicketKind.REPLACEMENT:
            # Not a replacement: whatever the replacement fields hold is not used.
            for name in ("replacement_line", "replacement_quantity"):
                data[name] = None
            data["replacement_item"] = ""
        elif data.get("replacement_line") is not None and not data.get("replacement_quantity"):
            self.add_error("replacement_quantity", _("How many are replaced?"))
        return data


class ReplacementPlanForm(forms.Form):
    """One more replacement on a replacement ticket."""

    def __init__(self, *args: Any, order_lines: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lines = order_lines if order_lines is not None else OrderLine.objects.none()
        _replacement_fields(self, lines, required=True, prefix="")


class ReplacementArriveForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DATE, initial=timezone.localdate)
    received_by = forms.CharField(label=_("Received by (customer)"), max_length=50)


class ReplacementCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), widget=forms.Textarea(attrs={"rows": 2})
    )


class RepairForm(forms.ModelForm):
    class Meta:
        model = RepairRecord
        fields = ["repair_date", "technician", "fault", "work_done", "parts", "result"]
        widgets = {
            "repair_date": DATE,
            "fault": forms.Textarea(attrs={"rows": 2}),
            "work_done": forms.Textarea(attrs={"rows": 2}),
        }


class ReplacementShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)
    eta = forms.DateField(label=_("Estimated arrival"), widget=DATE)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))
    refund_amount = forms.DecimalField(
        label=_("Refund amount (CNY)"), required=False, min_value=0, decimal_places=2
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Customer rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
    )
    comment = forms.CharField(label=_("Customer's comment"), required=False)


class VisitForm(forms.ModelForm):
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction (1–5)"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
    )

    class Meta:
        model = FollowUpVisit
        fields = [
            "method",
            "visit_date",
            "person",
            "satisfaction",
            "feedback",
            "suggestions",
            "new_demand",
            "new_demand_note",
        ]
        widgets = {
            "visit_date": DATE,
            "feedback": forms.Textarea(attrs={"rows": 2}),
            "suggestions": forms.Textarea(attrs={"rows": 2}),
            "new_demand_note": forms.Textarea(attrs={"rows": 2}),
        }
