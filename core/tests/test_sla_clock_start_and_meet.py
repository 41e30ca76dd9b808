"""sla_clock_start / sla_clock_meet / sla_clock_cancel: no-op twice, idempotent, race-safe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from core.models import DurationUnit, SlaClock
from core.services import sla_clock_cancel, sla_clock_meet
from core.tests.conftest import at

pytestmark = pytest.mark.django_db


def test_clarification_clock_is_due_after_two_working_hours_and_warns_at_75_percent(start_clock):
    clock = start_clock(working_hours=2, started_at=at(2025, 11, 21, 17, 30))
    assert clock.due_at == at(2025, 11, 24, 10, 30)
    # 75 % of 2 working hours = 1 h 30: 30 min on Friday, 1 h on Monday.
    assert clock.warn_at == at(2025, 11, 24, 10, 0)
    assert clock.duration_unit == DurationUnit.WORKING_HOURS


def test_wall_clock_hours_ignore_the_calendar(start_clock):
    clock = start_clock(kind="aftersales_response", hours=24, started_at=at(2025, 11, 21, 17, 30))
    assert clock.due_at == at(2025, 11, 22, 17, 30)
    assert clock.warn_at == at(2025, 11, 22, 11, 30)


def test_fixed_due_date(start_clock):
    clock = start_clock(
        kind="delivery_notice", due_at=at(2025, 12, 1, 9), started_at=at(2025, 11, 21, 9)
    )
    assert clock.due_at == at(2025, 12, 1, 9)
    assert clock.duration_unit == DurationUnit.FIXED


def test_exactly_one_duration_is_required(start_clock):
    with pytest.raises(ValueError):
        start_clock(working_hours=2, working_days=1)
    with pytest.raises(ValueError):
        start_clock()


def test_starting_the_same_clock_twice_is_a_no_op(start_clock, make_target):
    target = make_target()
    first = start_clock(target=target, working_hours=2)
    second = start_clock(target=target, working_hours=8)
    assert second.pk == first.pk
    assert second.due_at == first.due_at
    assert SlaClock.objects.for_target(target).count() == 1


def test_another_kind_on_the_same_object_is_another_clock(start_clock, make_target):
    target = make_target()
    start_clock(target=target, working_hours=2)
    start_clock(target=target, kind="followup_visit", working_days=3)
    assert SlaClock.objects.for_target(target).count() == 2


def test_the_database_refuses_a_second_open_clock(start_clock, make_target):
    target = make_target()
    clock = start_clock(target=target, working_hours=2)
    duplicate = SlaClock(
        content_type=clock.content_type,
        object_id=clock.object_id,
        kind=clock.kind,
        owner=clock.owner,
        due_at=clock.due_at,
        started_at=clock.started_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_meeting_a_clock_is_idempotent(start_clock, make_target):
    target = make_target()
    clock = start_clock(target=target, working_hours=2)
    met = sla_clock_meet(target=target, kind="clarification", at=at(2025, 11, 24, 10))
    assert met is not None
    assert met.pk == clock.pk
    again = sla_clock_meet(target=target, kind="clarification")
    assert again is not None
    assert again.pk == clock.pk
    assert again.met_at == at(2025, 11, 24, 10)


def test_meeting_a_clock_that_never_ran_does_nothing(make_target):
    assert sla_clock_meet(target=make_target(), kind="clarification") is None


def test_after_a_clock_is_met_the_same_kind_can_start_again(start_clock, make_target):
    target = make_target()
    first = start_clock(target=target, working_hours=2)
    sla_clock_meet(target=target, kind="clarification")
    second = start_clock(target=target, working_hours=2)
    assert second.pk != first.pk
    assert SlaClock.objects.open().for_target(target).get() == second


def test_cancelled_clock_is_no_longer_open(start_clock, make_target):
    target = make_target()
    start_clock(target=target, working_hours=2)
    cancelled = sla_clock_cancel(target=target, kind="clarification")
    assert cancelled is not None
    assert cancelled.cancelled_at is not None
    assert not SlaClock.objects.open().for_target(target).exists()


def test_overdue_and_due_soon(start_clock):
    clock = start_clock(working_hours=2, started_at=at(2025, 11, 24, 9))
    assert not clock.is_overdue(at(2025, 11, 24, 10))
    assert clock.is_due_soon(at(2025, 11, 24, 10, 45))
    assert clock.is_overdue(at(2025, 11, 24, 11) + timedelta(seconds=1))
