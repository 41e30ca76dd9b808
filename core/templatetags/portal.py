from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms, template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.people import person_name

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination and sorting)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag
def add_class(bound_field: forms.BoundField, css_class: str) -> str:
    widget = bound_field.field.widget
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        # Bootstrap styles a select with form-select (its arrow), not form-control.
        css_class = " ".join(
            {"form-control": "form-select", "form-control-sm": "form-select-sm"}.get(name, name)
            for name in css_class.split()
        )
    if bound_field.errors:
        css_class += " is-invalid"
    existing = widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{existing} {css_class}".strip()})


@register.filter
def is_checkbox(bound_field: forms.BoundField) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def money(value: Decimal | None) -> str:
    """CNY amount with thousands separators, e.g. ¥50,000.00."""
    if value is None or value == "":
        return "—"
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except (ArithmeticError, ValueError):
        return "—"


@register.simple_tag
def masked() -> str:
    return format_html('<span class="masked" title="{}">••••</span>', _("Hidden for your role"))


@register.filter
def person(user: Any) -> str:
    return person_name(user) or "—"


@register.filter
def minutes(value: Any) -> int:
    """Whole minutes of a timedelta (the login lockout's cool-off time)."""
    return int(value.total_seconds() // 60) if hasattr(value, "total_seconds") else 0


@register.simple_tag
def colon() -> str:
    """The colon after a label in the active language: "：" in Chinese, ": " in English."""
    return "：" if (get_language() or "").startswith("zh") else ": "


@register.simple_tag
def order_form_hints() -> list[dict[str, str]]:
    """The hint endpoints apps above orders registered for the order form (core.panels)."""
    from core.panels import order_form_hints as registered

    return registered()


@register.filter
def message(stored: Any, fallback: str = "") -> str:
    """A stored message (core.messages JSON) in the reader's language, else ``fallback``
    (rows written before messages were language-neutral): ``{{ c.label_msg|message:c.label }}``."""
    from core.messages import message_text

    return message_text(stored if isinstance(stored, dict) else None, str(fallback or ""))
