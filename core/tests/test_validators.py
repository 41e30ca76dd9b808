import pytest
from django.core.exceptions import ValidationError

from core.validators import (
    credit_code_check_char,
    validate_credit_code,
    validate_mobile,
    validate_phone,
    validate_postcode,
)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the GB 32100 worked example
        "91350100m000100y43",  # lower case is accepted and normalised
        " 91350100M000100Y43 ",
    ],
)
def test_valid_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M000100Y433", "credit_code_length"),
        ("91350100M000100I43", "credit_code_chars"),  # I is never used
        ("91350100M000100Y44", "credit_code_check"),  # one typo in the check digit
        ("91350100M000101Y43", "credit_code_check"),  # one typo in the body
    ],
)
def test_bad_credit_codes_are_refused_with_the_reason(code, error):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)
    assert info.value.code == error


def test_check_char_wraps_31_to_zero():
    # Any body whose weighted sum is divisible by 31 has check character "0".
    assert credit_code_check_char("00000000000000000") == "0"


@pytest.mark.parametrize("phone", ["13800138000", "+86 138 0013 8000", "19912345678"])
def test_mainland_mobiles_pass(phone):
    validate_mobile(phone)


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "138001380001", "abc"])
def test_bad_mobiles_are_refused(phone):
    with pytest.raises(ValidationError):
        validate_mobile(phone)


@pytest.mark.parametrize(
    "phone", ["010-12345678", "0755-1234567", "02112345678", "400-800-8888", "13800138000"]
)
def test_phones_accept_landlines_service_numbers_and_mobiles(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["12345", "010-0234567", "phone"])
def test_bad_phones_are_refused(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)


def test_postcode_has_six_digits():
    validate_postcode("100080")
    for bad in ("10008", "1000800", "10008a"):
        with pytest.raises(ValidationError):
            validate_postcode(bad)
