from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from core.people import person_name
from reports.models import ImprovementItem


class ImprovementForm(forms.ModelForm):
    class Meta:
        model = ImprovementItem
        fields = ["period", "problem", "action", "owner", "due_date", "status"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "period": forms.TextInput(attrs={"placeholder": "2026-11"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        self.fields["owner"].label_from_instance = person_name
