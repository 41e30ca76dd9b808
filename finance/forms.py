from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.models import NoteKind


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=NoteKind.choices)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=16, decimal_places=2, min_value=Decimal("0.01")
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
