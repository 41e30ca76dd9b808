"""Retention periods by document category (保管期限).

The company's rules leave the years open; these defaults are the usual practice in
China (contracts: the 10 years of civil-law limitation and tax-record practice).
Override any of them with the ``ARCHIVE_RETENTION_YEARS`` setting, e.g.
``{"contract": 15}``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings

DEFAULT_RETENTION_YEARS = {
    "customer_file": 10,  # "long-term" in the seed; reviewed after ten years
    "credit_file": 5,  # after the business with the customer ends
    "contract": 10,  # after the contract has been performed
    "quotation": 3,  # after the validity ends
    "order": 5,  # after the order is completed
    "shipping": 5,
    "aftersales": 10,  # "long-term" in the seed
    "other": 5,
}


def retention_years(category: str) -> int:
    overrides = getattr(settings, "ARCHIVE_RETENTION_YEARS", None) or {}
    return int(overrides.get(category, DEFAULT_RETENTION_YEARS.get(category, 5)))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def disposal_date(category: str, counted_from: date) -> date:
    return add_years(counted_from, retention_years(category))
