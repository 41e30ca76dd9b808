"""Real processes for the fault tests: a private redis-server, Celery workers, a webhook robot,
a mail server.

The Redis server is started by the test on a free port with no persistence, so the
machine's Redis (6379) is never touched and a stop really loses what it held. A test
that needs /usr/bin/redis-server fails when it is missing; it never skips.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

REDIS_SERVER = Path("/usr/bin/redis-server")
CELERY = Path(sys.executable).with_name("celery")
BASE_DIR = Path(settings.BASE_DIR)
MACHINE_REDIS_PORT = 6379


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port != MACHINE_REDIS_PORT
    return port


def wait_until(predicate: Callable[[], Any], timeout: float, step: float = 0.05) -> Any:
    """predicate()'s first true value, or its last value when time is up."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


# --- Redis ----------------------------------------------------------------------------------
class RedisServer:
    """A redis-server of this test only: start, stop (everything it held is lost), start again."""

    def __init__(self, folder: Path) -> None:
        if not REDIS_SERVER.exists():
            pytest.fail(f"{REDIS_SERVER} is missing: install redis-server (apt-get install redis)")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        """PING over a plain socket (redis-py would retry a refused connection for seconds)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [
                str(REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self.ping, timeout=5):
            log = (self.folder / "redis.log").read_text(errors="replace")[-2000:]
            self.stop()
            pytest.fail(f"redis-server did not start on port {self.port}:\n{log}")

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, but nothing answers (a hung Redis)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None
        assert not self.ping(), "redis-server still answers after it was stopped"


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (what ``.delay()`` uses) at ``url`` for a while.

    The transport options are those production uses with Redis (config/settings.py),
    also when this run has the filesystem broker (REDIS_URL unset).
    """
    from kombu import pools as kombu_pools

    from config.celery import app
    from core.services import broker_pause

    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}

    def reset_pools() -> None:
        # app.pool is kombu's global pool for the broker URL: closing it without clearing
        # kombu's registry would hand the closed pool back to the next send to that URL.
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        broker_pause.reset()  # a refusal seen here says nothing about the next broker

    reset_pools()
    app.conf.broker_url = url
    app.conf.broker_transport_options = dict(settings.REDIS_BROKER_TRANSPORT_OPTIONS)
    try:
        yield
    finally:
        reset_pools()
        app.conf.update(saved)


# --- Celery worker --------------------------------------------------------------------------
def worker_command(
    *, hostname: str, pool: str = "solo", concurrency: int = 1, queues: str = ""
) -> list[str]:
    """The command line of a quiet test worker (no heartbeat, gossip or mingle)."""
    command = [str(CELERY), "-A", "config", "worker", "--pool", pool]
    command += ["--concurrency", str(concurrency), "--hostname", hostname]
    if queues:
        command += ["--queues", queues]
    quiet = ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    return [*command, *quiet, "--loglevel", "INFO"]


class Worker:
    """A ``celery worker`` on this run's test database, with its log in a file.

    ``--pool solo`` by default: one process that runs one task at a time, so a
    SIGKILL hits the task it runs and nothing else. ``pool="threads"`` runs
    ``concurrency`` tasks at once in one process.
    """

    def __init__(
        self, log_path: Path, *, pool: str = "solo", concurrency: int = 1, **env: str
    ) -> None:
        self.log_path = log_path
        self.pool = pool
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PORTAL_DB_NAME": connection.settings_dict["NAME"],
            "PORTAL_TESTING": "1",  # no production checks (SECRET_KEY) in the worker
            "LOG_FORMAT": "json",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self, *, ready_timeout: float = 20) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            worker_command(
                pool=self.pool,
                concurrency=self.concurrency,
                hostname=f"faults-{os.getpid()}-{time.monotonic_ns()}@%h",
            ),
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        process = self.process
        wait_until(lambda: self.ready() or process.poll() is not None, ready_timeout)
        if not self.ready():
            self.stop()
            pytest.fail(f"the Celery worker did not start; its log:\n{self.log()[-4000:]}")

    def ready(self) -> bool:
        return any(
            line.get("message", "").endswith(" ready.") for line in self.json_lines(quiet=True)
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def json_lines(self, *, quiet: bool = False) -> list[dict[str, Any]]:
        lines = []
        for text in self.log().splitlines():
            if text.startswith("{"):
                try:
                    lines.append(json.loads(text))
                except json.JSONDecodeError:
                    if not quiet:
                        raise
        return lines

    def tasks_ended(self, name: str) -> int:
        return sum(
            1
            for line in self.json_lines(quiet=True)
            if line.get("task_name") == name
            and line.get("message", "").startswith("task ")
            and " ended " in line.get("message", "")
        )

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, the open transaction dies with it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._close()

    def _close(self) -> None:
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


# --- a group robot (WeCom / DingTalk webhook) -------------------------------------------
class Robot(ThreadingHTTPServer):
    """Answers every POST with 200 and keeps the JSON bodies it received."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _RobotHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/robot/send?key=faults"

    def contents(self) -> list[str]:
        with self.lock:
            return [message["text"]["content"] for message in self.received]


class _RobotHandler(BaseHTTPRequestHandler):
    server: Robot

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@contextlib.contextmanager
def robot() -> Iterator[Robot]:
    server = Robot()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- a mail server ---------------------------------------------------------------------------
class MailSink(socketserver.ThreadingTCPServer):
    """A plain SMTP server that takes every message and keeps it (no TLS, no login).

    A message counts as received when its DATA ends (the final ".") — as for a real
    server, which has it then, whether or not the client lives to read the answer.
    """

    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.sessions = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _SmtpHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def env(self) -> dict[str, str]:
        """What a worker's environment needs to send its e-mail here."""
        return {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_USE_SSL": "false",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(message["subject"]).strip() for message in self.messages]

    def idle(self) -> bool:
        """No client connected (e.g. the socket of a killed worker is closed and read)."""
        with self.lock:
            return self.sessions == 0


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: MailSink

    def reply(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        with self.server.lock:
            self.server.sessions += 1
        try:
            self.session()
        except OSError:
            pass  # the client went away
        finally:
            with self.server.lock:
                self.server.sessions -= 1

    def session(self) -> None:
        self.reply(b"220 sink ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply(b"250 sink")
            elif verb == b"DATA":
                self.reply(b"354 end with <CRLF>.<CRLF>")
                data = self.data()
                if data is None:
                    return  # cut off before the end: not received
                message = email.message_from_bytes(data, policy=email.policy.default)
                with self.server.lock:
                    self.server.messages.append(message)  # type: ignore[arg-type]
                self.reply(b"250 OK queued")
            elif verb == b"QUIT":
                self.reply(b"221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply(b"250 OK")

    def data(self) -> bytes | None:
        lines = []
        while line := self.rfile.readline():
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)
        return None


@contextlib.contextmanager
def mail_sink() -> Iterator[MailSink]:
    server = MailSink()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
