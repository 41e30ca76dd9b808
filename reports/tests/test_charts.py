"""Chart labels stay short at a big company's scale (Chinese magnitudes)."""

from decimal import Decimal

import pytest

from reports import charts


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (812, "812"),
        (12.5, "12.5"),
        (Decimal("1318350000.00"), "13.2亿"),
        (Decimal("9013136278.30"), "90.1亿"),
        (Decimal("1317632.00"), "131.8万"),
    ],
)
def test_numbers_are_labelled_in_wan_and_yi(value, label):
    assert charts._fmt(value) == label


def test_a_column_chart_of_billions_has_short_labels():
    svg = charts.column_chart(
        [("01", Decimal("6613573000")), ("02", Decimal("4679190000"))], title="T"
    )
    assert "66.1亿" in svg and "46.8亿" in svg


def test_english_labels_use_english_magnitudes():
    from django.utils import translation

    with translation.override("en"):
        assert charts._fmt(Decimal("1318350000.00")) == "1,318.3M"
        assert charts._fmt(Decimal("13200")) == "13.2K"
        assert "万" not in charts.column_chart([("01", Decimal("1317632"))], title="T")
