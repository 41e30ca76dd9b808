"""Chinese is the default language: every interface string must have a translation."""

from pathlib import Path

import polib
from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(PO))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not missing, f"untranslated: {missing}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_compiled_catalogue_is_up_to_date():
    mo = PO.with_suffix(".mo")
    assert mo.exists()
    compiled = {entry.msgid for entry in polib.mofile(str(mo))}
    source = {entry.msgid for entry in polib.pofile(str(PO)).translated_entries()}
    assert source <= compiled, f"run `make messages`: {sorted(source - compiled)[:5]}"


def test_interface_speaks_chinese_by_default_and_english_on_request():
    from core.roles import ROLE_LABELS

    with translation.override("zh-hans"):
        assert str(ROLE_LABELS["sales_assistant"]) == "销售助理"
    with translation.override("en"):
        assert str(ROLE_LABELS["sales_assistant"]) == "Sales assistant"
