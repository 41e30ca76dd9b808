"""SMS providers and the customer's messages through the outbox.

The Aliyun and Tencent adapters are checked against a local fake HTTP server (no
internet): the request each builds — endpoint, headers, parameters, and the signature,
recomputed here from the providers' documented algorithms — and how each refusal reads.
A provider that is down is tried again later, and the SMS goes out exactly once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import outbox_deliver
from customer_portal.channels import (
    EMAIL_KIND,
    SMS_KIND,
    AliyunSmsBackend,
    FileSmsBackend,
    Sms,
    SmsFailed,
    TencentSmsBackend,
)

pytestmark = pytest.mark.django_db

TEMPLATES = {
    "link": {"code": "SMS_100200300", "params": ["order", "url"]},
    "update": {"code": "1234567", "params": ["order", "status", "url"]},
}


class FakeProvider:
    """A provider on 127.0.0.1: records each request, answers what the test says."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.default: tuple[int, dict[str, Any]] = (200, {})
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with fake.lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                    status, answer = fake.answers.pop(0) if fake.answers else fake.default
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


def sms(template: str = "link") -> Sms:
    return Sms(
        phone="13912345678",
        template=template,
        params={"order": "SO202611-007", "status": "已发货", "url": "https://p.example/c/7-abc/"},
        text="您的订单 SO202611-007",
        out_id="42",
    )


# --- Alibaba Cloud ------------------------------------------------------------------------


def aliyun_signature(params: dict[str, str], secret: str) -> str:
    """The documented RPC signature (HMAC-SHA1 of the canonical query, POST&%2F&…)."""

    def enc(value: str) -> str:
        return (
            urllib.parse.quote(value, safe="")
            .replace("+", "%20")
            .replace("*", "%2A")
            .replace("%7E", "~")
        )

    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    to_sign = "POST&%2F&" + enc(query)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def test_aliyun_request(provider, settings):
    settings.CUSTOMER_SMS_TEMPLATES = TEMPLATES
    provider.default = (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"})
    backend = AliyunSmsBackend(
        access_key_id="testid",
        access_key_secret="testsecret",
        sign_name="订单门户",
        endpoint=provider.url,
    )
    assert backend.send(sms()) == "900619746936498440^0"
    (request,) = provider.requests
    assert request["headers"]["content-type"].startswith("application/x-www-form-urlencoded")
    form = dict(urllib.parse.parse_qsl(request["body"].decode(), keep_blank_values=True))
    signature = form.pop("Signature")
    assert form["Action"] == "SendSms" and form["Version"] == "2017-05-25"
    assert form["PhoneNumbers"] == "13912345678"
    assert form["SignName"] == "订单门户"
    assert form["TemplateCode"] == "SMS_100200300"
    assert json.loads(form["TemplateParam"]) == {
        "order": "SO202611-007",
        "url": "https://p.example/c/7-abc/",
    }
    assert form["OutId"] == "42"
    assert form["AccessKeyId"] == "testid" and form["SignatureMethod"] == "HMAC-SHA1"
    assert form["Timestamp"].endswith("Z")
    assert signature == aliyun_signature(form, "testsecret")


def test_aliyun_signature_is_stable_for_fixed_time_and_nonce(settings):
    settings.CUSTOMER_SMS_TEMPLATES = TEMPLATES
    backend = AliyunSmsBackend(
        access_key_id="testid", access_key_secret="testsecret", sign_name="阿里云短信测试"
    )
    params = backend.signed_params(
        sms(), timestamp="2017-07-12T02:42:19Z", nonce="45e25e9b-0a6f-4070-8c85-2956eda1b466"
    )
    signature = params.pop("Signature")
    assert signature == aliyun_signature(params, "testsecret")
    assert params["Timestamp"] == "2017-07-12T02:42:19Z"


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}),
        (400, {"Code": "SignatureDoesNotMatch", "Message": "bad"}),
        (503, {"Code": "ServiceUnavailable"}),
    ],
)
def test_aliyun_refusals_raise(provider, settings, status, answer):
    settings.CUSTOMER_SMS_TEMPLATES = TEMPLATES
    provider.default = (status, answer)
    backend = AliyunSmsBackend(
        access_key_id="i", access_key_secret="s", sign_name="x", endpoint=provider.url
    )
    with pytest.raises(SmsFailed):
        backend.send(sms())


# --- Tencent Cloud ------------------------------------------------------------------------


def tencent_signature(secret_key: str, day: str, to_sign: str) -> str:
    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + secret_key).encode(), day), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_tencent_request(provider, settings):
    settings.CUSTOMER_SMS_TEMPLATES = TEMPLATES
    provider.default = (
        200,
        {
            "Response": {
                "SendStatusSet": [{"SerialNo": "5000:1045710669157053657849499619", "Code": "Ok"}],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        },
    )
    backend = TencentSmsBackend(
        secret_id="AKIDtest",
        secret_key="secret",
        sdk_app_id="1400006666",
        sign_name="订单门户",
        endpoint=provider.url,
    )
    assert backend.send(sms("update")) == "5000:1045710669157053657849499619"
    (request,) = provider.requests
    headers, body = request["headers"], request["body"]
    assert headers["x-tc-action"] == "SendSms" and headers["x-tc-version"] == "2021-01-11"
    assert headers["x-tc-region"] == "ap-guangzhou"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["host"] == "sms.tencentcloudapi.com"
    payload = json.loads(body)
    assert payload == {
        "PhoneNumberSet": ["+8613912345678"],
        "SmsSdkAppId": "1400006666",
        "SignName": "订单门户",
        "TemplateId": "1234567",
        "TemplateParamSet": ["SO202611-007", "已发货", "https://p.example/c/7-abc/"],
        "SessionContext": "42",
    }
    timestamp = int(headers["x-tc-timestamp"])
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            "content-type:application/json; charset=utf-8\nhost:sms.tencentcloudapi.com\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{day}/sms/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    expected = tencent_signature("secret", day, to_sign)
    assert headers["authorization"] == (
        f"TC3-HMAC-SHA256 Credential=AKIDtest/{day}/sms/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}"
    )


@pytest.mark.parametrize(
    "answer",
    [
        {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}},
        {"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit"}]}},
        {"Response": {}},
    ],
)
def test_tencent_refusals_raise(provider, settings, answer):
    settings.CUSTOMER_SMS_TEMPLATES = TEMPLATES
    provider.default = (200, answer)
    backend = TencentSmsBackend(
        secret_id="i", secret_key="k", sdk_app_id="1", sign_name="x", endpoint=provider.url
    )
    with pytest.raises(SmsFailed):
        backend.send(sms())


def test_unreachable_provider_raises():
    backend = AliyunSmsBackend(
        access_key_id="i", access_key_secret="s", sign_name="x", endpoint="http://127.0.0.1:9/"
    )
    with pytest.raises(SmsFailed):
        backend.send(sms())


# --- through the outbox ---------------------------------------------------------------------


def test_file_backend_writes_the_text_in_the_contacts_language(world, tmp_path, settings):
    settings.CUSTOMER_SMS_BACKEND = "file"
    settings.CUSTOMER_SMS_FILE_PATH = tmp_path
    assert outbox_deliver() >= 2
    (file,) = list(tmp_path.glob("*.txt"))
    text = file.read_text("utf-8")
    assert "To: 13912345678" in text
    assert world.link.get_absolute_url() in text
    # The e-mail went out too, with the same link.
    (message,) = [m for m in mail.outbox if m.to == ["wang@huadong.example"]]
    assert world.link.get_absolute_url() in message.body
    assert world.order.number in message.subject


def test_english_contact_gets_english(world, tmp_path, settings):
    from customer_portal.services import link_send

    settings.CUSTOMER_SMS_FILE_PATH = tmp_path
    OutboxMessage.objects.all().delete()
    link_send(actor=world.owner, order=world.order, contact=world.contact, new=True, language="en")
    outbox_deliver()
    (file,) = list(tmp_path.glob("*.txt"))
    assert "Your order" in file.read_text("utf-8")


def test_provider_down_is_retried_and_never_duplicated(world, provider, settings):
    """The provider answers 503 twice, then takes the SMS: three attempts, one SMS sent,
    the order page lists it as sent; later sweeps send nothing again."""
    settings.CUSTOMER_SMS_BACKEND = "aliyun"
    settings.CUSTOMER_SMS_ENDPOINT = provider.url
    settings.CUSTOMER_SMS_TEMPLATES = TEMPLATES
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "id"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "secret"
    settings.CUSTOMER_SMS_SIGN_NAME = "订单门户"
    settings.OUTBOX_RETRY_DELAY = 30
    provider.answers = [
        (503, {"Code": "ServiceUnavailable"}),
        (503, {"Code": "ServiceUnavailable"}),
    ]
    provider.default = (200, {"Code": "OK", "BizId": "1"})
    message = OutboxMessage.objects.get(kind=SMS_KIND, object_id=world.order.pk)

    outbox_deliver()
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1
    assert "ServiceUnavailable" in message.last_error or "503" in message.last_error
    outbox_deliver()  # not due yet: the provider is not asked again
    assert len(provider.requests) == 1

    later = timezone.now() + timedelta(minutes=5)
    outbox_deliver(now=later)
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 2
    outbox_deliver(now=later + timedelta(minutes=10))
    message.refresh_from_db()
    assert message.sent_at is not None
    for minutes in (20, 40, 80):
        outbox_deliver(now=later + timedelta(minutes=minutes))
    ok = list(provider.requests)
    assert len(ok) == 3  # two refused, one taken — and nothing after
    assert {dict(urllib.parse.parse_qsl(r["body"].decode()))["OutId"] for r in ok} == {
        str(message.pk)
    }


def test_a_step_run_again_queues_nothing_twice(world):
    from customer_portal.services import link_message

    before = OutboxMessage.objects.filter(kind__in=[SMS_KIND, EMAIL_KIND]).count()
    link_message(world.link, occasion="same-occasion")
    link_message(world.link, occasion="same-occasion")
    after = OutboxMessage.objects.filter(kind__in=[SMS_KIND, EMAIL_KIND]).count()
    assert after - before == 2  # one SMS, one e-mail


def test_customer_link_command_prints_the_current_link(world, capsys):
    call_command("customer_link", world.order.number)
    assert capsys.readouterr().out.strip().endswith(world.link.get_absolute_url())
    call_command("customer_link", world.order.number, "--contact", str(world.contact.pk))
    assert world.link.token() in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("customer_link", "NO-SUCH-ORDER")


def test_file_backend_rewrites_a_repeat_in_place(tmp_path):
    backend = FileSmsBackend(tmp_path)
    backend.send(sms())
    backend.send(sms())
    assert len(list(tmp_path.glob("*.txt"))) == 1
