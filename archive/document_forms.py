from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.models import Confidentiality, Document, DocumentCategory


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        # <input type="date"> only takes ISO dates, whatever the language's date format.
        super().__init__(attrs, format=format or "%Y-%m-%d")


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *DocumentCategory.choices],
    )
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"),
        required=False,
        choices=[("", _("All levels")), *Confidentiality.choices],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Kept")), ("disposed", _("Disposed")), ("all", _("All"))],
    )


class BorrowingForm(forms.Form):
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents"), queryset=Document.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    purpose = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))
    due_date = forms.DateField(label=_("Due back on"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = Document.objects.active().order_by("title")
        self.fields["documents"].label_from_instance = lambda d: (
            f"{d.title} [{d.get_confidentiality_display()}]"
        )
        self.fields["due_date"].widget.attrs["min"] = timezone.localdate().isoformat()


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisposalForm(forms.Form):
    note = forms.CharField(label=_("How it was disposed of"), required=False)
