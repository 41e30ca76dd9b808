"""Notifications: bell with unread count, list, mark read / all read, others' → 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Notification
from core.services import notification_create

pytestmark = pytest.mark.django_db

LIST = reverse("core:notifications")


def _notify(user, n: int = 1, **kwargs):  # type: ignore[no-untyped-def]
    return [notification_create(recipient=user, title=f"消息 {i}", **kwargs) for i in range(n)]


def test_bell_shows_my_unread_count(role_client, make_user):
    client = role_client("sales_assistant")
    _notify(client.user, 3)
    _notify(make_user("warehouse"), 5)  # someone else's
    html = client.get(LIST).content.decode()
    assert 'data-testid="notification-bell"' in html
    assert 'data-testid="unread-count">3<' in html


def test_bell_has_no_badge_when_all_read(role_client):
    client = role_client("sales_assistant")
    html = client.get("/").content.decode()
    assert 'data-testid="notification-bell"' in html
    assert 'data-testid="unread-count"' not in html


def test_bell_costs_one_query(rf, make_user, django_assert_num_queries):
    from core.context_processors import portal

    user = make_user("sales_assistant")
    _notify(user, 2)
    request = rf.get("/")
    request.user = user
    context = portal(request)
    with django_assert_num_queries(1):
        assert context["unread_notification_count"]() == 2
        assert context["unread_notification_count"]() == 2


def test_mark_read(role_client):
    client = role_client("sales_assistant")
    notification, other = _notify(client.user, 2)
    response = client.post(reverse("core:notification_read", args=[notification.pk]))
    assert response.status_code == 302
    notification.refresh_from_db()
    other.refresh_from_db()
    assert notification.read_at is not None
    assert other.read_at is None


def test_mark_read_and_open_follows_the_link(role_client):
    client = role_client("sales_assistant")
    (notification,) = _notify(client.user, url="/customers/")
    response = client.post(reverse("core:notification_read", args=[notification.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"


def test_open_never_redirects_off_site(role_client):
    client = role_client("sales_assistant")
    (notification,) = _notify(client.user, url="https://evil.example/")
    response = client.post(reverse("core:notification_read", args=[notification.pk]), {"open": "1"})
    assert response["Location"] == LIST


def test_mark_read_needs_post(role_client):
    client = role_client("sales_assistant")
    (notification,) = _notify(client.user)
    assert client.get(reverse("core:notification_read", args=[notification.pk])).status_code == 405


def test_mark_read_needs_csrf(make_user):
    from django.test import Client

    user = make_user("sales_assistant")
    (notification,) = _notify(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("core:notification_read", args=[notification.pk]))
    assert response.status_code == 403


def test_someone_elses_notification_is_404(role_client, make_user):
    (theirs,) = _notify(make_user("warehouse"))
    client = role_client("sales_assistant")
    response = client.post(reverse("core:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_notifications_are_not_listed(role_client, make_user):
    other = make_user("warehouse")
    notification_create(recipient=other, title="别人的消息")
    client = role_client("sales_assistant")
    assert "别人的消息" not in client.get(LIST).content.decode()


def test_mark_all_read(role_client, make_user):
    client = role_client("sales_assistant")
    _notify(client.user, 3)
    (theirs,) = _notify(make_user("warehouse"))
    response = client.post(reverse("core:notifications_read_all"), {"next": LIST + "?unread=1"})
    assert response.status_code == 302
    assert response["Location"] == LIST + "?unread=1"
    assert not Notification.objects.filter(recipient=client.user, read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_unread_filter(role_client):
    client = role_client("sales_assistant")
    read, unread = _notify(client.user, 2)
    client.post(reverse("core:notification_read", args=[read.pk]))
    html = client.get(LIST + "?unread=1").content.decode()
    assert f'data-notification="{unread.pk}"' in html
    assert f'data-notification="{read.pk}"' not in html


def test_login_required(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_list_query_count_does_not_grow_with_rows(role_client, django_assert_max_num_queries):
    client = role_client("sales_assistant")
    _notify(client.user, 30)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.content.decode().count("data-notification=") == 20
