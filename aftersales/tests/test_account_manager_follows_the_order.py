"""Acceptance and the follow-up visit follow the order's named account manager (chosen at
confirmation by fulfillment), whoever records the acceptance."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.models import LineResult
from aftersales.services import LineInput, acceptance_record
from core.models import SlaClock, SlaKind
from fulfillment.models import AccountManagerSource, OrderFulfillment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _accept(order, actor, receipt):
    server, fan = order.test_lines
    return acceptance_record(
        actor=actor,
        order=order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt,
        lines=[
            LineInput(server.pk, LineResult.ACCEPTED, Decimal("10")),
            LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
        ],
    )


def test_the_follow_up_clock_is_the_named_account_managers_not_the_recorders(
    people, delivered_order, receipt_upload
):
    named = UserFactory(username="am_zhao", roles=["account_manager"])
    OrderFulfillment.objects.create(
        order=delivered_order,
        account_manager=named,
        account_manager_source=AccountManagerSource.RULE,
    )
    _accept(delivered_order, people["am"], receipt_upload())
    followup = SlaClock.objects.for_target(delivered_order).get(kind=SlaKind.FOLLOWUP_VISIT)
    assert followup.owner == named


def test_without_a_recorded_choice_the_default_account_manager_not_the_sales_owner(
    people, delivered_order, receipt_upload
):
    delivered_order.customer.account_manager = None
    delivered_order.customer.save(update_fields=["account_manager"])
    colleague = UserFactory(username="am_colleague", roles=["account_manager"])
    _accept(delivered_order, colleague, receipt_upload())
    followup = SlaClock.objects.for_target(delivered_order).get(kind=SlaKind.FOLLOWUP_VISIT)
    assert followup.owner == people["am"] != delivered_order.owner
