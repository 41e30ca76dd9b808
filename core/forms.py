"""Form helpers every app shares."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates


def plain_decimal(value: Decimal) -> str:
    """``value`` as a person writes it: no exponent, no trailing zeros (10, 2.5, 0.01).

    ``str(Decimal("10.00").normalize())`` is "1E+1", and a number field shows exactly
    that; "10.00" for a quantity of ten units is noise on a phone.
    """
    if not value.is_finite():
        return str(value)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class PlainNumbersBoundField(forms.BoundField):
    """Shows a Decimal value (a field's ``initial``, the form's ``initial=``, a ModelForm's
    instance) by :func:`plain_decimal`. Only the display: ``BoundField.initial`` stays the
    Decimal, so ``has_changed()`` compares numbers as before, and what a user typed is
    shown as typed."""

    def value(self) -> Any:
        value = super().value()
        if isinstance(value, Decimal):
            return plain_decimal(value)
        return value


class PortalFormRenderer(DjangoTemplates):
    """The form renderer of the portal (settings.FORM_RENDERER): every form of every app
    shows its pre-filled numbers plainly, without each form having to remember it."""

    bound_field_class = PlainNumbersBoundField
