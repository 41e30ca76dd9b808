"""Forms of the contract pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract

MSG_END_BEFORE_START = _("The end date cannot be before the start date.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        # <input type="date"> only takes ISO dates, whatever the language's date format.
        super().__init__(attrs, format=format or "%Y-%m-%d")


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["customer", "title", "amount", "start_date", "end_date", "terms"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "terms": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("start_date")
            and data.get("end_date")
            and data["end_date"] < data["start_date"]
        ):
            self.add_error("end_date", MSG_END_BEFORE_START)
        return data


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SignForm(forms.Form):
    scan = forms.FileField(label=_("Signed scan (PDF)"))
    signed_on = forms.DateField(
        label=_("Signed on"), widget=DateInput(), initial=timezone.localdate
    )
    comment = forms.CharField(label=_("Comment"), required=False)


class AmendmentForm(forms.Form):
    description = forms.CharField(label=_("What changes"), widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
