"""Faults: the Celery worker delivering the outbox is SIGKILLed (docs/architecture.md,
"The outbox").

A real worker (its own redis-server as broker, this run's test database) delivers
``core.webhook`` messages to a receiver of the test that records every request's
``X-Outbox-Id`` and de-duplicates nothing. The commit kicks the delivery, as in
production. The fifth message goes to a receiver path that takes the request and does
not answer: the worker hangs in that send, and is killed there. At that moment:

* messages 1-4 were sent and marked: they never go again;
* message 5 is in the one window the outbox cannot close — the receiver has it, the
  worker died before marking it sent: its claim counts as lost after
  OUTBOX_CLAIM_LOST_AFTER and it is sent again (at least once; here exactly twice),
  which is why the id travels as a header;
* messages 6-N were claimed and never sent — killed BEFORE their send: a new worker
  takes them once their claim is lost, and each arrives exactly once.

Nothing is re-sent while the dead worker's claim is still fresh. A second test kills
nothing but lets kicks pile up while no worker runs: one delivery each, however many
kicks.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from core.models import OutboxMessage
from core.outbox_kinds import webhook_put
from tests.processes import Worker, celery_broker, redis_server, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = 40
HANG_AT = 5  # the message whose send the worker is killed in (1-based)
CLAIM_LOST_AFTER = 4  # seconds (production: OUTBOX_CLAIM_LOST_AFTER, five minutes)
DELIVER_TASK = "core.deliver_outbox"


class Receiver(ThreadingHTTPServer):
    """Another system: keeps the ``X-Outbox-Id`` of every POST, in order, repeats included.

    ``/hang`` takes the request (it counts as received) and answers only once ``gate``
    is opened — a slow receiver that the worker waits for.
    """

    daemon_threads = True

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.lock = threading.Lock()
        self.gate = threading.Event()
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path}"

    def received(self) -> list[int]:
        with self.lock:
            return list(self.ids)


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.ids.append(int(self.headers["X-Outbox-Id"]))
        if self.path.startswith("/hang"):
            self.server.gate.wait(timeout=60)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.gate.set()
        server.shutdown()
        server.server_close()


def _put(receiver: Receiver, *, hang_at: int | None = None) -> list[int]:
    """Commit MESSAGES webhooks in one transaction (the commit kicks the delivery)."""
    with transaction.atomic():
        ids = [
            webhook_put(
                url=receiver.url("hang" if n == hang_at else "fast"),
                body={"n": n},
            ).pk
            for n in range(1, MESSAGES + 1)
        ]
    return ids


def test_a_worker_killed_in_a_send_loses_no_message_and_doubles_only_the_one_in_flight(
    tmp_path, settings
):
    settings.OUTBOX_KICK = True
    from config.celery import app

    with receiver() as other_system, redis_server(tmp_path / "redis") as redis:
        env = {"REDIS_URL": redis.url, "OUTBOX_CLAIM_LOST_AFTER": str(CLAIM_LOST_AFTER)}
        with celery_broker(redis.url):
            doomed = Worker(tmp_path / "worker-killed.log", **env)
            doomed.start()
            ids = _put(other_system, hang_at=HANG_AT)
            in_flight = ids[HANG_AT - 1]
            # The kick reaches the worker; it sends 1-4 and hangs in the fifth send.
            assert wait_until(lambda: in_flight in other_system.received(), timeout=20), (
                f"the delivery did not reach the fifth message:\n{doomed.log()[-4000:]}"
            )
            doomed.kill()
            killed_at = time.monotonic()
            other_system.gate.set()  # the receiver answers — nobody listens any more

            before_kill = ids[: HANG_AT - 1]
            claimed_not_sent = ids[HANG_AT:]
            assert other_system.received() == [*before_kill, in_flight]
            assert set(
                OutboxMessage.objects.filter(sent_at__isnull=False).values_list("pk", flat=True)
            ) == set(before_kill), "what was sent before the kill is marked sent"
            assert not OutboxMessage.objects.filter(
                pk__in=[in_flight, *claimed_not_sent], claimed_at__isnull=True
            ).exists(), "the killed worker had claimed the rest of its batch"

            survivor = Worker(tmp_path / "worker-new.log", **env)
            survivor.start()
            try:
                # A delivery while the dead worker's claims are fresh: they are left alone.
                app.send_task(DELIVER_TASK, ignore_result=True)
                assert wait_until(lambda: survivor.tasks_ended(DELIVER_TASK) >= 1, timeout=20)
                assert other_system.received() == [*before_kill, in_flight]
                # The beat sweep, once the claims count as lost: everything goes out.
                time.sleep(max(0.0, killed_at + CLAIM_LOST_AFTER + 0.5 - time.monotonic()))
                app.send_task(DELIVER_TASK, ignore_result=True)
                assert wait_until(
                    lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
                    timeout=20,
                ), f"messages left unsent; worker log:\n{survivor.log()[-4000:]}"
                # And another sweep sends nothing again.
                app.send_task(DELIVER_TASK, ignore_result=True)
                assert wait_until(lambda: survivor.tasks_ended(DELIVER_TASK) >= 3, timeout=20)
            finally:
                survivor.stop()

    arrived = Counter(other_system.received())
    # Killed before the send, or sent before the kill: exactly once.
    assert {pk: arrived[pk] for pk in ids if pk != in_flight} == {
        pk: 1 for pk in ids if pk != in_flight
    }
    # The one in flight: the receiver had it, the mark never came — sent again.
    assert arrived[in_flight] == 2
    assert set(arrived) == set(ids), "nothing arrived that was not committed"
    assert not OutboxMessage.objects.filter(failed_at__isnull=False).exists()


def test_kicks_queued_while_no_worker_runs_deliver_each_message_once(tmp_path, settings):
    settings.OUTBOX_KICK = True

    with receiver() as other_system, redis_server(tmp_path / "redis") as redis:
        env = {"REDIS_URL": redis.url}
        with celery_broker(redis.url):
            # Committed one by one: a kick each, waiting in the broker for a worker.
            ids = [webhook_put(url=other_system.url("fast"), body={"n": n}).pk for n in range(20)]
            # And a transaction that rolled back queues nothing that arrives.
            with pytest.raises(RuntimeError), transaction.atomic():
                webhook_put(url=other_system.url("fast"), body={"n": "rolled back"})
                raise RuntimeError("the change failed")
            worker = Worker(tmp_path / "worker.log", pool="threads", concurrency=4, **env)
            worker.start()
            try:
                assert wait_until(lambda: worker.tasks_ended(DELIVER_TASK) >= 20, timeout=30), (
                    worker.log()[-4000:]
                )
            finally:
                worker.stop()
    assert Counter(other_system.received()) == Counter(ids)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
