# ruff: noqa: F811  (the fixtures are imported from receipt_fixtures by name)
"""The monthly review counts the customers' online surveys and online requests."""

from __future__ import annotations

import pytest

from customer_portal.actions.requests import complaint_open
from customer_portal.actions.surveys import survey_answer
from customer_portal.tests.receipt_fixtures import (  # noqa: F401  (fixtures)
    delivered,
    link_actor,
    sign_receipt,
    signing_cert,
    staff,
)
from reports.aftersales_section import aftersales_figures
from reports.selectors import month_bounds

pytestmark = pytest.mark.django_db


def test_the_monthly_report_counts_surveys_and_online_complaints(delivered, signing_cert):
    actor = link_actor(delivered)
    sign_receipt(delivered, actor, damaged_photo=False)
    delivered.refresh_from_db()
    survey_answer(actor=actor, order=delivered, score=2, reasons=["packaging"])
    complaint_open(actor=actor, order=delivered, kind="repair", description="坏了")

    start, end = month_bounds(delivered.order_date.year, delivered.order_date.month)
    figures = aftersales_figures(start, end)
    assert figures["survey_count"] == 1 and figures["survey_low"] == 1
    assert str(figures["survey_average"]) == "2.00"
    assert figures["complaints"] == 1  # the online request counts as a complaint
    survey_figure = next(f for f in figures["figures"] if f.key == "survey")
    assert survey_figure.measured and survey_figure.text == "2.00"
