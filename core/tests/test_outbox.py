"""The transactional outbox (core.outbox) — docs/architecture.md, "The outbox".

What leaves the database goes out only if the change that caused it committed, and then
exactly once: however many deliverers run, whatever fails, whichever worker dies
holding a claim. The handlers here are throwaway kinds of this module, removed after it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connections, transaction
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage
from core.outbox import (
    outbox_deliver,
    outbox_for,
    outbox_handler,
    outbox_put,
    outbox_retry,
    registered_kinds,
)

KIND = "coretest.note"
FLAKY = "coretest.flaky"


class Sent:
    """What the handlers "sent", in order, across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: list[int] = []
        self.by_thread: Counter[str] = Counter()
        self.pause = 0.0
        self.failures_left = 0

    def record(self, message: OutboxMessage) -> None:
        if self.pause:
            time.sleep(self.pause)
        with self.lock:
            self.ids.append(message.pk)
            self.by_thread[threading.current_thread().name] += 1


sent = Sent()


@pytest.fixture(autouse=True)
def handlers(settings) -> Iterator[Sent]:  # type: ignore[no-untyped-def]
    """Two test kinds: one that always works, one that fails while told to."""
    global sent
    sent = Sent()
    saved = dict(outbox._handlers)
    settings.OUTBOX_KICK = False  # no broker in these tests: outbox_deliver is called here
    settings.OUTBOX_RETRY_DELAY = 10
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_CLAIM_LOST_AFTER = 60

    @outbox_handler(KIND)
    def note(message: OutboxMessage) -> None:
        sent.record(message)

    @outbox_handler(FLAKY)
    def flaky(message: OutboxMessage) -> None:
        if sent.failures_left:
            sent.failures_left -= 1
            raise ConnectionError("the receiver is down")
        sent.record(message)

    yield sent
    outbox._handlers.clear()
    outbox._handlers.update(saved)


def later(seconds: float) -> Any:
    return timezone.now() + timedelta(seconds=seconds)


# --- only what committed goes out ------------------------------------------------------------
@pytest.mark.django_db
def test_a_message_put_in_a_transaction_that_rolls_back_is_never_sent(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks() as kicks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_put(KIND, {"n": 1})
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert kicks == []  # not even a kick
    assert outbox_deliver() == 0
    assert sent.ids == []


@pytest.mark.django_db
def test_a_committed_message_is_delivered_once(handlers):
    target = Group.objects.create(name="coretest-outbox-target")
    message = outbox_put(KIND, {"hello": "world"}, target=target)
    assert message.pk and message.sent_at is None
    assert outbox_deliver() == 1
    assert outbox_deliver() == 0
    assert outbox_deliver(now=later(3600)) == 0  # not even when any claim would be old
    assert sent.ids == [message.pk]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 0 and message.last_error == ""
    assert list(outbox_for(target)) == [message]


@pytest.mark.django_db
def test_delivery_is_kicked_after_the_commit_only(settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_KICK = True
    from core import tasks

    kicked: list[dict[str, Any]] = []
    original = tasks.deliver_outbox.apply_async
    tasks.deliver_outbox.apply_async = lambda *a, **kw: kicked.append(kw)  # type: ignore[method-assign]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outbox_put(KIND)
            assert kicked == []  # inside the transaction: nothing asked yet
        assert len(kicked) == 1
    finally:
        tasks.deliver_outbox.apply_async = original  # type: ignore[method-assign]


@pytest.mark.django_db
def test_a_kind_without_a_handler_is_refused_when_it_is_put():
    with pytest.raises(LookupError):
        outbox_put("coretest.nobody-handles-this")
    assert not OutboxMessage.objects.exists()
    assert KIND in registered_kinds()


@pytest.mark.django_db
def test_a_message_not_yet_available_waits():
    outbox_put(KIND, available_at=later(100))
    assert outbox_deliver() == 0
    assert outbox_deliver(now=later(101)) == 1


# --- failures ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_failed_send_is_counted_kept_and_tried_again_later(settings):
    sent.failures_left = 1
    message = outbox_put(FLAKY, {"n": 1})
    before = timezone.now()
    assert outbox_deliver() == 0
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error == "ConnectionError: the receiver is down"
    assert message.sent_at is None and message.failed_at is None and message.claimed_at is None
    delay = (message.available_at - before).total_seconds()
    assert settings.OUTBOX_RETRY_DELAY - 1 <= delay <= settings.OUTBOX_RETRY_DELAY + 5
    assert outbox_deliver() == 0  # not before its time
    assert outbox_deliver(now=later(settings.OUTBOX_RETRY_DELAY + 5)) == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.last_error == ""
    assert sent.ids == [message.pk]


@pytest.mark.django_db
def test_the_delay_grows_and_the_message_is_given_up_after_the_last_attempt(settings):
    sent.failures_left = 100
    message = outbox_put(FLAKY)
    delays = []
    when = timezone.now()
    for attempt in range(1, settings.OUTBOX_MAX_ATTEMPTS + 1):
        started = timezone.now()
        assert outbox_deliver(now=when) == 0
        message.refresh_from_db()
        assert message.attempts == attempt
        delays.append(round((message.available_at - started).total_seconds()))
        when = message.available_at + timedelta(seconds=1)
    assert delays == [10, 20, 40]  # OUTBOX_RETRY_DELAY, doubled per attempt
    assert message.failed_at is not None, "given up after OUTBOX_MAX_ATTEMPTS"
    # Given up: no deliverer takes it again, however late.
    assert outbox_deliver(now=later(10**6)) == 0
    assert sent.ids == []

    # Until someone asks for another round (the admin's action).
    sent.failures_left = 0
    outbox_retry(message=message)
    message.refresh_from_db()
    assert message.failed_at is None and message.attempts == 0
    assert outbox_deliver() == 1
    assert sent.ids == [message.pk]


@pytest.mark.django_db
def test_one_failing_message_does_not_hold_up_the_others():
    sent.failures_left = 1
    flaky = outbox_put(FLAKY)
    fine = [outbox_put(KIND, {"n": n}) for n in range(3)]
    assert outbox_deliver() == 3
    assert sorted(sent.ids) == sorted(m.pk for m in fine)
    flaky.refresh_from_db()
    assert flaky.attempts == 1 and flaky.sent_at is None


@pytest.mark.django_db
def test_a_message_whose_handler_disappeared_is_counted_as_failed():
    message = outbox_put(KIND)
    outbox._handlers.pop(KIND)
    assert outbox_deliver() == 0
    message.refresh_from_db()
    assert message.attempts == 1 and "no handler" in message.last_error


# --- lost claims --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_claim_older_than_the_lost_after_is_taken_again_and_sent_once(settings):
    """A worker claimed the message and died before the send: it goes out, once, later."""
    message = outbox_put(KIND)
    died_at = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=died_at)
    lost_after = settings.OUTBOX_CLAIM_LOST_AFTER
    assert outbox_deliver(now=died_at + timedelta(seconds=lost_after - 1)) == 0
    assert sent.ids == [], "a live claim is left alone"
    assert outbox_deliver(now=died_at + timedelta(seconds=lost_after + 1)) == 1
    assert outbox_deliver(now=died_at + timedelta(seconds=3 * lost_after)) == 0
    assert sent.ids == [message.pk]


@pytest.mark.django_db
def test_the_late_answer_of_a_worker_whose_claim_was_taken_again_changes_nothing(settings):
    """The slow worker's failure must not hand back a message another worker sent."""
    message = outbox_put(KIND)
    first_claim = timezone.now() - timedelta(seconds=settings.OUTBOX_CLAIM_LOST_AFTER + 5)
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=first_claim)
    assert outbox_deliver() == 1  # taken again and sent
    message.refresh_from_db()
    sent_at = message.sent_at
    # The first worker wakes up and reports a failure for its (stale) claim.
    outbox._fail(message, first_claim, "TimeoutError: too late")
    message.refresh_from_db()
    assert message.sent_at == sent_at and message.attempts == 0 and message.last_error == ""


# --- keys ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_repeated_key_adds_nothing():
    first = outbox_put(KIND, {"n": 1}, key="coretest:order-1:confirmed")
    again = outbox_put(KIND, {"n": 2}, key="coretest:order-1:confirmed")
    other = outbox_put(KIND, {"n": 3}, key="coretest:order-2:confirmed")
    assert again.pk == first.pk and other.pk != first.pk
    assert OutboxMessage.objects.count() == 2
    assert outbox_deliver() == 2
    # Even once sent, the same key is not sent again (a retried request, a second scan).
    outbox_put(KIND, {"n": 4}, key="coretest:order-1:confirmed")
    assert outbox_deliver() == 0
    assert sorted(sent.ids) == sorted([first.pk, other.pk])


@pytest.mark.django_db
def test_a_key_whose_transaction_rolled_back_can_be_used_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_put(KIND, key="coretest:retry")
        raise RuntimeError("rolled back")
    message = outbox_put(KIND, key="coretest:retry")
    assert outbox_deliver() == 1
    assert sent.ids == [message.pk]


@pytest.mark.django_db(transaction=True)
def test_two_transactions_putting_one_key_at_once_make_one_message():
    barrier = threading.Barrier(2)
    ids: list[int] = []
    errors: list[BaseException] = []

    def put() -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                ids.append(outbox_put(KIND, key="coretest:race").pk)
                time.sleep(0.2)  # both are inside their transaction at once
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=put) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert OutboxMessage.objects.filter(key="coretest:race").count() == 1
    assert outbox_deliver() == 1
    assert len(sent.ids) == 1


# --- concurrent deliverers ------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_send_each_message_exactly_once():
    messages = [outbox_put(KIND, {"n": n}) for n in range(120)]
    sent.pause = 0.002  # a send takes a moment, so the deliverers overlap
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def deliverer() -> None:
        try:
            barrier.wait(timeout=10)
            while outbox_deliver(limit=7):
                pass
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliverer, name=f"deliverer-{n}") for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert Counter(sent.ids) == Counter(m.pk for m in messages), "each message exactly once"
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    busy = [name for name, count in sent.by_thread.items() if count]
    assert len(busy) >= 2, f"the deliverers did not overlap: {sent.by_thread}"


# --- core.webhook: the kind core delivers itself -------------------------------------------------
class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: int) -> None:
        self.answer = answer
        self.requests: list[tuple[str | None, dict[str, Any]]] = []
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.requests.append((self.headers.get("X-Outbox-Id"), body))
        self.send_response(self.server.answer)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@contextlib.contextmanager
def receiver(answer: int) -> Iterator[_Receiver]:
    server = _Receiver(answer)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_a_webhook_carries_its_message_id_so_the_receiver_can_drop_a_repeat():
    from core.outbox_kinds import webhook_put

    with receiver(200) as other_system:
        message = webhook_put(url=other_system.url, body={"order": "SO-1", "event": "shipped"})
        assert outbox_deliver() == 1
    assert other_system.requests == [(str(message.pk), {"order": "SO-1", "event": "shipped"})]


@pytest.mark.django_db
def test_a_webhook_the_receiver_refuses_is_tried_again_later():
    from core.outbox_kinds import webhook_put

    with receiver(503) as other_system:
        message = webhook_put(url=other_system.url, body={"n": 1})
        assert outbox_deliver() == 0
    message.refresh_from_db()
    assert message.attempts == 1 and "503" in message.last_error
    assert message.sent_at is None and message.failed_at is None


def test_a_webhook_url_must_be_http():
    from core.outbox_kinds import webhook_put

    with pytest.raises(ValueError, match="http"):
        webhook_put(url="file:///etc/passwd", body={})
