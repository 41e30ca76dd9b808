"""Faults: the Celery worker delivering webhooks is SIGKILLed in the middle of a send.

A real worker (its own redis-server as broker, this run's test database) delivers signed
webhook events to a receiver of the test. The receiver does what docs/api.md tells an
integrator to do: it checks every request's signature with the documented function
(``api.webhooks.verify_signature``) and processes an event only if it has not processed
its ``id`` before. The fifth event's request is taken and not answered: the worker hangs
in that send and is killed there.

* events sent before the kill never arrive again;
* the one in flight arrives twice (the receiver had it, the worker died before marking
  it) — the receiver drops the repeat by its id: processed once;
* the events the dead worker had claimed arrive once a new worker takes them.

Every event is processed exactly once, and every request carried a valid signature.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from api import webhooks
from api.keys import api_client_create
from api.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from core.models import OutboxMessage
from tests.processes import Worker, celery_broker, redis_server, wait_until, worker_command


class QueueWorker(Worker):
    """A test worker that consumes only ``queue``."""

    def __init__(self, log_path, *, queue: str, **env: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(log_path, **env)
        self.queue = queue

    def start(self, *, ready_timeout: float = 120) -> None:
        import subprocess

        from tests.processes import BASE_DIR

        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            worker_command(hostname=f"survivor-{time.monotonic_ns()}@%h", queues=self.queue),
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        process = self.process
        wait_until(lambda: self.ready() or process.poll() is not None, ready_timeout)
        if not self.ready():
            self.stop()
            pytest.fail(f"the survivor worker did not start; its log:\n{self.log()[-4000:]}")


pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = 30
HANG_AT = 5  # the event whose send the worker is killed in (1-based)
CLAIM_LOST_AFTER = 8  # seconds (production: OUTBOX_CLAIM_LOST_AFTER, five minutes)
# The survivor is started before the kill and listens to a queue of its own: the commit's
# kick goes to the doomed worker only, and the survivor's start-up time (long on a busy
# machine) does not age the dead worker's claims before the survivor first looks.
SURVIVOR_QUEUE = "webhook-survivor"
START_TIMEOUT = 120
DELIVER_TASK = "core.deliver_outbox"
SECRET = "whsec_kill_test"


class Receiver(ThreadingHTTPServer):
    """The other system: verifies, de-duplicates by event id, and keeps everything."""

    daemon_threads = True

    def __init__(self) -> None:
        self.arrived: list[str] = []  # event ids of every request, repeats included
        self.processed: list[int] = []  # the events' n, each processed once
        self.seen: set[str] = set()
        self.invalid = 0
        self.lock = threading.Lock()
        self.gate = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        header = self.headers.get(webhooks.SIGNATURE_HEADER, "")
        if not webhooks.verify_signature(body, header, SECRET):
            with self.server.lock:
                self.server.invalid += 1
            self.send_response(400)
            self.end_headers()
            return
        event = json.loads(body)
        with self.server.lock:
            self.server.arrived.append(event["id"])
            if event["id"] not in self.server.seen:
                self.server.seen.add(event["id"])
                self.server.processed.append(event["data"]["n"])
        if event["data"]["n"] == HANG_AT:
            self.server.gate.wait(timeout=60)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass  # the killed worker's connection is gone

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


def test_each_event_is_processed_exactly_once_across_a_worker_kill(tmp_path, settings):
    settings.OUTBOX_KICK = True
    from config.celery import app

    client, _key = api_client_create(
        name="erp", roles_=["sales_manager"], scopes=["read", "webhooks"]
    )
    with receiver() as other, redis_server(tmp_path / "redis") as redis:
        WebhookSubscription.objects.create(
            client=client, url=other.url, event_types=["order.completed"], secret=SECRET
        )
        env = {"REDIS_URL": redis.url, "OUTBOX_CLAIM_LOST_AFTER": str(CLAIM_LOST_AFTER)}
        with celery_broker(redis.url):
            survivor = QueueWorker(tmp_path / "worker-new.log", queue=SURVIVOR_QUEUE, **env)
            survivor.start()
            doomed = Worker(tmp_path / "worker-killed.log", **env)
            doomed.start(ready_timeout=START_TIMEOUT)
            with transaction.atomic():  # one commit, one kick
                for n in range(1, EVENTS + 1):
                    webhooks.emit("order.completed", {"n": n})
            assert wait_until(lambda: HANG_AT in other.processed, timeout=20), (
                f"the delivery did not reach the fifth event:\n{doomed.log()[-4000:]}"
            )
            doomed.kill()
            killed_at = time.monotonic()
            other.gate.set()
            assert other.processed == [1, 2, 3, 4, 5]

            try:
                # The dead worker's claims are fresh: nothing is taken from it yet.
                app.send_task(DELIVER_TASK, ignore_result=True, queue=SURVIVOR_QUEUE)
                assert wait_until(lambda: survivor.tasks_ended(DELIVER_TASK) >= 1, timeout=20)
                assert time.monotonic() < killed_at + CLAIM_LOST_AFTER, "the check came too late"
                assert other.processed == [1, 2, 3, 4, 5]
                time.sleep(max(0.0, killed_at + CLAIM_LOST_AFTER + 0.5 - time.monotonic()))
                app.send_task(DELIVER_TASK, ignore_result=True, queue=SURVIVOR_QUEUE)
                assert wait_until(
                    lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
                    timeout=30,
                ), f"events left unsent; worker log:\n{survivor.log()[-4000:]}"
            finally:
                survivor.stop()

    assert other.invalid == 0, "every request carried a valid signature"
    assert sorted(other.processed) == list(range(1, EVENTS + 1)), "each event processed once"
    repeats = {event: count for event, count in Counter(other.arrived).items() if count > 1}
    assert len(repeats) == 1 and set(repeats.values()) == {2}, "only the one in flight came twice"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        WebhookDeliveryStatus.SENT
    }
