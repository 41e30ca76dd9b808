"""Admin pages for calendar overrides, deadlines and notifications."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from core.models import CalendarOverride
from core.services import notification_create
from core.tests.conftest import at

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_deadlines_overrides_and_notifications(
    admin_client, start_clock, make_user
):
    clock = start_clock(working_hours=2, started_at=at(2025, 11, 24, 9))
    notification = notification_create(recipient=make_user(), title="请查看")
    CalendarOverride.objects.create(date=date(2026, 12, 31), is_working_day=False, note="年会")
    for name in ("core_slaclock", "core_notification", "core_calendaroverride"):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    assert (
        admin_client.get(reverse("admin:core_slaclock_change", args=[clock.pk])).status_code == 200
    )
    assert (
        admin_client.get(
            reverse("admin:core_notification_change", args=[notification.pk])
        ).status_code
        == 200
    )


def test_clocks_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:core_slaclock_add")).status_code == 403


def test_deleting_an_override_in_the_admin_reschedules_clocks(admin_client, start_clock):
    from core.services import calendar_override_save

    # Saturday 2 January 2027 worked (调休): 31 Dec, 2 Jan, Monday 4 Jan.
    override = calendar_override_save(day=date(2027, 1, 2), is_working_day=True)
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    assert clock.due_at == at(2027, 1, 4, 15)
    response = admin_client.post(
        reverse("admin:core_calendaroverride_delete", args=[override.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    # Back to the rule: 1 January is New Year's Day, so 31 Dec, 4 Jan, 5 Jan.
    clock.refresh_from_db()
    assert clock.due_at == at(2027, 1, 5, 15)


def test_the_data_admin_sees_a_given_up_message_and_tries_it_again(admin_client):
    from django.utils import timezone

    from core.models import OutboxMessage

    message = OutboxMessage.objects.create(
        kind="core.webhook",
        payload={"url": "http://127.0.0.1:9/x", "body": {}},
        attempts=8,
        last_error="URLError: connection refused",
        failed_at=timezone.now(),
    )
    page = admin_client.get(reverse("admin:core_outboxmessage_changelist"))
    assert page.status_code == 200 and "core.webhook" in page.content.decode()
    assert admin_client.get(reverse("admin:core_outboxmessage_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:core_outboxmessage_changelist"),
        {"action": "retry", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.failed_at, message.attempts, message.claimed_at) == (None, 0, None)
