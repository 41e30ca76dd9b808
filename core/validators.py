"""Validators for Chinese business data: credit codes, phone numbers, postcodes."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 31 characters, the letters I, O, Z, S and V are never used.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0xx / 0xxx, 7–8 digit number, optional extension; also 400/800 numbers.
LANDLINE_RE = re.compile(r"^0\d{2,3}-?[1-9]\d{6,7}(-\d{1,6})?$")
SERVICE_NUMBER_RE = re.compile(r"^[48]00-?\d{3}-?\d{4}$")
POSTCODE_RE = re.compile(r"^\d{6}$")

MSG_CREDIT_CODE_LENGTH = _("A unified social credit code has exactly 18 characters.")
MSG_CREDIT_CODE_CHARS = _(
    "A unified social credit code uses only digits and capital letters other than I, O, Z, S, V."
)
MSG_CREDIT_CODE_CHECK = _(
    "The check digit of this unified social credit code is wrong; please check for a typo."
)
MSG_MOBILE = _("Enter a mainland mobile number of 11 digits starting with 1, e.g. 13800138000.")
MSG_PHONE = _(
    "Enter a mainland mobile number (13800138000) or a landline with area code (010-12345678)."
)
MSG_POSTCODE = _("A postcode has exactly 6 digits.")


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARSET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(MSG_CREDIT_CODE_LENGTH, code="credit_code_length")
    if any(char not in CREDIT_CODE_CHARSET for char in code):
        raise ValidationError(MSG_CREDIT_CODE_CHARS, code="credit_code_chars")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(MSG_CREDIT_CODE_CHECK, code="credit_code_check")


def normalize_phone(value: str) -> str:
    phone = re.sub(r"[\s()（）]", "", value or "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :].lstrip("-")
    return phone


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(normalize_phone(value)):
        raise ValidationError(MSG_MOBILE, code="mobile")


def validate_phone(value: str) -> None:
    """A mainland mobile, a landline with area code, or a 400/800 service number."""
    phone = normalize_phone(value)
    if not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone) or SERVICE_NUMBER_RE.match(phone)):
        raise ValidationError(MSG_PHONE, code="phone")


def validate_postcode(value: str) -> None:
    if not POSTCODE_RE.match((value or "").strip()):
        raise ValidationError(MSG_POSTCODE, code="postcode")
