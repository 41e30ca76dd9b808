"""Language-neutral messages: what the system writes for people, rendered per reader.

A notification, a clock note, a timeline entry, an e-mail or an SMS is stored as a
message key (the English msgid of the catalogue) and its parameters, never as text in
the language of whoever caused it. It is rendered when it is read: in the reader's
language on a page, in the recipient's language for an e-mail or SMS
(docs/decisions/0011-language-neutral-messages.md).

    from django.utils.translation import gettext_lazy as _

    title = Msg(_("Order %(number)s is confirmed: please prepare it"), number=order.number)
    notify_users([owner], title=title, target=order)   # stored as {"key": ..., "params": ...}
    str(title)                                          # the current language
    title.render("en")                                  # English, whatever is active

The key may be a lazy string (``gettext_lazy`` / ``pgettext_lazy``: makemessages finds it
and its context is kept) or a plain msgid marked with ``gettext_noop``. Parameters are
JSON values; a parameter that is itself translatable (a status label, a lazy string, a
``Msg``) is stored as a nested message and rendered in the reader's language too. Dates,
times and amounts are stored as ISO strings / decimal strings and formatted on reading
(``date_param`` / ``datetime_param``), in the reader's format and in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.functional import Promise

JsonDict = dict[str, Any]

# Marks for parameters that are formatted on reading.
_DATE = "date"
_DATETIME = "datetime"

# How a date / a moment reads in a message: Chinese as Chinese writes it ("2026年12月3日
# 09:30"), every other language as the portal's pages show dates ("2026-12-03 09:30": one
# order of the parts, whoever reads it, and no "p.m." that ends a sentence twice).
_FORMATS: dict[str, tuple[str, str]] = {"zh": ("Y年n月j日", "Y年n月j日 H:i")}
_DEFAULT_FORMATS = ("Y-m-d", "Y-m-d H:i")


def _formats() -> tuple[str, str]:
    language = (translation.get_language() or "").split("-")[0]
    return _FORMATS.get(language, _DEFAULT_FORMATS)


def _lazy_parts(value: Promise) -> tuple[str, str]:
    """(msgid, context) of a lazy translation; Django's lazy proxy keeps its call's args."""
    args = getattr(value, "_args", None)
    if not args:
        raise TypeError(f"not a lazy translation: {value!r}")
    if len(args) == 2:  # pgettext_lazy(context, message)
        return str(args[1]), str(args[0])
    return str(args[0]), ""


def _param_to_json(value: Any) -> Any:
    if isinstance(value, Msg):
        return {"msg": value.as_json()}
    if isinstance(value, Promise):
        return {"msg": Msg(value).as_json()}
    label = getattr(value, "label", None)  # a TextChoices member: its label is lazy
    if isinstance(label, Promise):
        return {"msg": Msg(label).as_json()}
    if isinstance(value, dt.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool, dict)):
        return value
    return str(value)  # a model instance etc.: its name, as data (not translated)


def _param_render(value: Any, language: str | None) -> Any:
    try:
        return _param_value(value, language)
    except (TypeError, ValueError):  # a damaged row: its raw value, not an error page
        return value


def _param_value(value: Any, language: str | None) -> Any:
    if isinstance(value, Mapping):
        if "msg" in value:
            return Msg.from_json(value["msg"]).render(language)
        if _DATETIME in value:
            moment = dt.datetime.fromisoformat(value[_DATETIME])
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, _formats()[1])
        if _DATE in value:
            return formats.date_format(dt.date.fromisoformat(value[_DATE]), _formats()[0])
    return value


class Msg:
    """A message key with parameters; ``str()`` renders it in the active language."""

    __slots__ = ("context", "key", "params")

    def __init__(self, key: str | Promise, /, *, context: str = "", **params: Any) -> None:
        if isinstance(key, Promise):
            key, lazy_context = _lazy_parts(key)
            context = context or lazy_context
        self.key: str = str(key)
        self.context: str = context
        self.params: JsonDict = {name: _param_to_json(v) for name, v in params.items()}

    # --- storage -------------------------------------------------------------------------

    def as_json(self) -> JsonDict:
        data: JsonDict = {"key": self.key}
        if self.params:
            data["params"] = self.params
        if self.context:
            data["ctx"] = self.context
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Msg:
        message = cls(str(data.get("key", "")), context=str(data.get("ctx", "")))
        message.params = dict(data.get("params") or {})
        return message

    # --- reading -------------------------------------------------------------------------

    def render(self, language: str | None = None) -> str:
        """The text in ``language`` (None: the active language)."""
        if language is not None:
            with translation.override(language):
                return self.render()
        if self.context:
            template = translation.pgettext(self.context, self.key)
        else:
            template = translation.gettext(self.key) if self.key else ""
        if not self.params:
            return template
        values = {name: _param_render(v, None) for name, v in self.params.items()}
        # A catalogue entry that lost a placeholder (or a row whose parameters do not fit
        # its key) must not hide the message, nor break the page that shows it.
        for candidate in (template, self.key):
            try:
                return candidate % values
            except (KeyError, TypeError, ValueError):
                continue
        return self.key

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and self.as_json() == other.as_json()

    def __hash__(self) -> int:
        return hash(self.key)


def message_json(value: str | Promise | Msg | None) -> JsonDict | None:
    """What a model's ``*_msg`` JSON field stores for ``value`` (None for plain data text)."""
    if value is None:
        return None
    if isinstance(value, Msg):
        return value.as_json()
    if isinstance(value, Promise):
        return Msg(value).as_json()
    return None  # plain text (a person's note): stored as text, shown as written


# What a writer accepts: a system message (``Msg`` or a lazy string) or a person's text.
MessageLike = str | Promise | Msg


def message_store(value: MessageLike | None) -> tuple[str, JsonDict | None]:
    """``(text, json)`` to store for ``value``: the message's JSON and its text in the
    portal's default language (what the admin, the search and old readers see), or a
    person's text as written and no JSON."""
    if value is None:
        return "", None
    stored = message_json(value)
    if stored is None:
        return str(value), None
    return Msg.from_json(stored).render(settings.LANGUAGE_CODE), stored


def join_messages(*parts: MessageLike | None, sep: str = "\n") -> Msg:
    """One message of several (e.g. a deadline's text and its clock's note), each part
    rendered in the reader's language; empty parts are left out."""
    kept = [part for part in parts if part is not None and str(part) != ""]
    key = sep.join(f"%(p{index})s" for index in range(len(kept)))
    message = Msg(key)
    message.params = {f"p{index}": _param_to_json(part) for index, part in enumerate(kept)}
    return message


def message_text(
    stored: Mapping[str, Any] | None, fallback: str = "", language: str | None = None
) -> str:
    """Render a stored message in the reader's language; rows written before messages were
    language-neutral (no JSON) show their stored text."""
    if stored and stored.get("key"):
        return Msg.from_json(stored).render(language)
    return fallback


def date_param(value: dt.date) -> JsonDict:
    """A date parameter, formatted in the reader's format."""
    return {_DATE: value.isoformat()}


def datetime_param(value: dt.datetime) -> JsonDict:
    """A moment parameter, shown in the reader's format in the portal's time zone."""
    return {_DATETIME: value.isoformat()}
