"""SMS and e-mail to the customer's contacts, always through the outbox
(docs/decisions/0014-customer-links-and-sms.md).

:func:`send_to_contact` queues, inside the caller's transaction, one SMS (if the contact
has a mobile number) and one e-mail (if they have an address) — each an outbox message
(``customer_portal.sms`` / ``customer_portal.email``) keyed so a step run again queues
nothing twice, targeted at the order (listed on the order page). The texts are
language-neutral messages (:class:`core.messages.Msg`) rendered at delivery in the
language of the link (the recipient's), never stored translated.

SMS providers sit behind one small interface (:class:`SmsBackend`), chosen by
``CUSTOMER_SMS_BACKEND``:

* ``file`` (the embedded default): one file per message under ``CUSTOMER_SMS_FILE_PATH``
  (var/sms/), named by the outbox id — tests and the demo read the link from it;
* ``console``: the log;
* ``aliyun``: Alibaba Cloud SMS (``dysmsapi`` ``SendSms``, RPC signature HMAC-SHA1);
* ``tencent``: Tencent Cloud SMS (API 3.0 ``SendSms``, signature TC3-HMAC-SHA256).

The Chinese providers only send pre-approved templates: ``CUSTOMER_SMS_SIGN_NAME`` is the
approved signature, ``CUSTOMER_SMS_TEMPLATES`` maps each of our message kinds ("link",
"update", "risk") to the provider's template code and the order of its parameters (Tencent
takes a list). A provider that refuses or cannot be reached raises :class:`SmsFailed`:
the outbox tries again later with a growing delay, and the message is sent once (the
outbox id goes along as the provider's out id / session context).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models

from core.messages import Msg
from core.models import OutboxMessage
from core.outbox import outbox_handler, outbox_put

logger = logging.getLogger(__name__)

SMS_KIND = "customer_portal.sms"
EMAIL_KIND = "customer_portal.email"
CUSTOMER_KINDS = (SMS_KIND, EMAIL_KIND)

# Our message kinds and their parameters (the default templates' order).
DEFAULT_TEMPLATES: dict[str, dict[str, Any]] = {
    "link": {"code": "", "params": ["order", "url"]},
    "update": {"code": "", "params": ["order", "status", "url"]},
    "risk": {"code": "", "params": ["order", "url"]},
}


class SmsFailed(Exception):
    """The provider did not take the SMS; the outbox tries again later."""


@dataclass(frozen=True)
class Sms:
    """One SMS as a provider needs it."""

    phone: str
    template: str  # our kind: "link", "update", "risk"
    params: Mapping[str, str]
    text: str  # the rendered text (file / console backends; logs)
    out_id: str  # the outbox id: the provider echoes it, receivers de-duplicate


class SmsBackend(Protocol):
    def send(self, sms: Sms) -> str:
        """Send ``sms``; return the provider's id of it. Raise :class:`SmsFailed` to retry."""
        ...


def _setting(name: str, default: Any = "") -> Any:
    return getattr(settings, name, default)


def sms_templates() -> dict[str, dict[str, Any]]:
    configured = _setting("CUSTOMER_SMS_TEMPLATES", {}) or {}
    merged = {kind: dict(spec) for kind, spec in DEFAULT_TEMPLATES.items()}
    for kind, spec in configured.items():
        merged.setdefault(kind, {"code": "", "params": []}).update(spec)
    return merged


def _template(kind: str) -> dict[str, Any]:
    spec = sms_templates().get(kind)
    if spec is None:
        raise SmsFailed(f"no SMS template configured for {kind!r}")
    return spec


def _http_json(request: urllib.request.Request) -> dict[str, Any]:
    timeout = _setting("CUSTOMER_SMS_TIMEOUT", 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        body = exc.read(65536)
        status = exc.code
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SmsFailed(f"SMS provider unreachable: {exc}") from exc
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise SmsFailed(f"SMS provider answered HTTP {status} with no JSON") from exc
    if not isinstance(data, dict):
        raise SmsFailed(f"SMS provider answered HTTP {status}: {data!r}")
    if status >= 500:
        raise SmsFailed(f"SMS provider answered HTTP {status}: {data}")
    return data


# --- the embedded backends ----------------------------------------------------------------


class FileSmsBackend:
    """One text file per message (``<outbox id>.txt``): the phone number, then the text."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(
            path or _setting("CUSTOMER_SMS_FILE_PATH") or settings.BASE_DIR / "var" / "sms"
        )

    def send(self, sms: Sms) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{sms.out_id}.txt"
        existing = sorted(self.path.glob(f"*-{sms.out_id}.txt"))
        target = existing[0] if existing else self.path / name
        target.write_text(f"To: {sms.phone}\nTemplate: {sms.template}\n\n{sms.text}\n", "utf-8")
        return target.name


class ConsoleSmsBackend:
    def send(self, sms: Sms) -> str:
        logger.info("SMS to %s: %s", sms.phone, sms.text)
        return sms.out_id


# --- Alibaba Cloud SMS ----------------------------------------------------------------------


def _aliyun_quote(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


class AliyunSmsBackend:
    """Alibaba Cloud SMS ``SendSms`` (API version 2017-05-25), RPC style, HMAC-SHA1."""

    endpoint_default = "https://dysmsapi.aliyuncs.com/"

    def __init__(
        self,
        *,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        sign_name: str | None = None,
        endpoint: str | None = None,
        region: str | None = None,
    ) -> None:
        self.access_key_id = access_key_id or _setting("ALIYUN_SMS_ACCESS_KEY_ID")
        self.access_key_secret = access_key_secret or _setting("ALIYUN_SMS_ACCESS_KEY_SECRET")
        self.sign_name = sign_name or _setting("CUSTOMER_SMS_SIGN_NAME")
        self.endpoint = endpoint or _setting("CUSTOMER_SMS_ENDPOINT") or self.endpoint_default
        self.region = region or _setting("ALIYUN_SMS_REGION") or "cn-hangzhou"

    def signed_params(
        self, sms: Sms, *, timestamp: str | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        spec = _template(sms.template)
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": sms.out_id,
            "PhoneNumbers": sms.phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": str(spec.get("code", "")),
            "TemplateParam": json.dumps(
                {name: str(sms.params.get(name, "")) for name in spec.get("params", [])},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
            "Timestamp": timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        canonical = "&".join(
            f"{_aliyun_quote(k)}={_aliyun_quote(v)}" for k, v in sorted(params.items())
        )
        to_sign = f"POST&{_aliyun_quote('/')}&{_aliyun_quote(canonical)}"
        digest = hmac.new(
            f"{self.access_key_secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1
        ).digest()
        params["Signature"] = base64.b64encode(digest).decode("ascii")
        return params

    def send(self, sms: Sms) -> str:
        body = urllib.parse.urlencode(self.signed_params(sms), quote_via=urllib.parse.quote)
        request = urllib.request.Request(  # noqa: S310 (https endpoint from settings)
            self.endpoint,
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            method="POST",
        )
        data = _http_json(request)
        if data.get("Code") != "OK":
            raise SmsFailed(f"Aliyun SMS refused: {data.get('Code')} {data.get('Message')}")
        return str(data.get("BizId", ""))


# --- Tencent Cloud SMS ----------------------------------------------------------------------


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


class TencentSmsBackend:
    """Tencent Cloud SMS ``SendSms`` (API 3.0, version 2021-01-11), TC3-HMAC-SHA256."""

    host_default = "sms.tencentcloudapi.com"

    def __init__(
        self,
        *,
        secret_id: str | None = None,
        secret_key: str | None = None,
        sdk_app_id: str | None = None,
        sign_name: str | None = None,
        region: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.secret_id = secret_id or _setting("TENCENT_SMS_SECRET_ID")
        self.secret_key = secret_key or _setting("TENCENT_SMS_SECRET_KEY")
        self.sdk_app_id = sdk_app_id or _setting("TENCENT_SMS_SDK_APP_ID")
        self.sign_name = sign_name or _setting("CUSTOMER_SMS_SIGN_NAME")
        self.region = region or _setting("TENCENT_SMS_REGION") or "ap-guangzhou"
        self.endpoint = (
            endpoint or _setting("CUSTOMER_SMS_ENDPOINT") or f"https://{self.host_default}/"
        )

    def body(self, sms: Sms) -> bytes:
        spec = _template(sms.template)
        phone = sms.phone if sms.phone.startswith("+") else f"+86{sms.phone}"
        payload = {
            "PhoneNumberSet": [phone],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": str(spec.get("code", "")),
            "TemplateParamSet": [str(sms.params.get(name, "")) for name in spec.get("params", [])],
            "SessionContext": sms.out_id,
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def headers(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        timestamp = timestamp or int(datetime.now(UTC).timestamp())
        day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        content_type = "application/json; charset=utf-8"
        host = self.host_default
        canonical = "\n".join(
            [
                "POST",
                "/",
                "",
                f"content-type:{content_type}\nhost:{host}\n",
                "content-type;host",
                _sha256_hex(body),
            ]
        )
        scope = f"{day}/sms/tc3_request"
        to_sign = "\n".join(
            ["TC3-HMAC-SHA256", str(timestamp), scope, _sha256_hex(canonical.encode("utf-8"))]
        )
        key = _hmac256(f"TC3{self.secret_key}".encode(), day)
        key = _hmac256(key, "sms")
        key = _hmac256(key, "tc3_request")
        signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        return {
            "Authorization": (
                f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, "
                f"SignedHeaders=content-type;host, Signature={signature}"
            ),
            "Content-Type": content_type,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }

    def send(self, sms: Sms) -> str:
        body = self.body(sms)
        request = urllib.request.Request(  # noqa: S310 (https endpoint from settings)
            self.endpoint, data=body, headers=self.headers(body), method="POST"
        )
        data = _http_json(request).get("Response") or {}
        error = data.get("Error")
        if error:
            raise SmsFailed(f"Tencent SMS refused: {error.get('Code')} {error.get('Message')}")
        statuses = data.get("SendStatusSet") or []
        if not statuses or str(statuses[0].get("Code", "")).lower() != "ok":
            first = statuses[0] if statuses else {}
            raise SmsFailed(f"Tencent SMS refused: {first.get('Code')} {first.get('Message')}")
        return str(statuses[0].get("SerialNo", ""))


BACKENDS: dict[str, type] = {
    "file": FileSmsBackend,
    "console": ConsoleSmsBackend,
    "aliyun": AliyunSmsBackend,
    "tencent": TencentSmsBackend,
}


def sms_backend() -> SmsBackend:
    name = _setting("CUSTOMER_SMS_BACKEND", "file") or "file"
    try:
        backend: SmsBackend = BACKENDS[name]()
    except KeyError as exc:
        raise SmsFailed(f"unknown SMS backend {name!r}") from exc
    return backend


# --- queueing (inside the caller's transaction) and delivery (the outbox) --------------------


def send_to_contact(
    *,
    contact: Any,
    language: str,
    template: str,
    sms_params: Mapping[str, Any],
    sms_text: Msg,
    subject: Msg,
    body: Msg,
    target: models.Model,
    key: str,
) -> list[OutboxMessage]:
    """Queue the SMS and the e-mail of one customer-facing message to ``contact``.

    ``key`` identifies the occasion (e.g. ``"order-123:confirm:link-7"``): the same key
    queues nothing again (".sms" / ".email" are appended).
    """
    queued = []
    if getattr(contact, "mobile", ""):
        queued.append(
            outbox_put(
                SMS_KIND,
                {
                    "to": contact.mobile,
                    "contact": contact.pk,
                    "template": template,
                    "params": {
                        k: {"msg": v.as_json()} if isinstance(v, Msg) else str(v)
                        for k, v in sms_params.items()
                    },
                    "text": sms_text.as_json(),
                    "lang": language,
                },
                target=target,
                key=f"{key}.sms"[:200],
            )
        )
    if getattr(contact, "email", ""):
        queued.append(
            outbox_put(
                EMAIL_KIND,
                {
                    "to": contact.email,
                    "contact": contact.pk,
                    "subject": subject.as_json(),
                    "body": body.as_json(),
                    "lang": language,
                },
                target=target,
                key=f"{key}.email"[:200],
            )
        )
    return queued


@outbox_handler(SMS_KIND)
def sms_send(message: OutboxMessage) -> None:
    payload = message.payload
    language = payload.get("lang")
    params = {
        name: Msg.from_json(value["msg"]).render(language)
        if isinstance(value, dict) and "msg" in value
        else str(value)
        for name, value in (payload.get("params") or {}).items()
    }
    sms = Sms(
        phone=str(payload.get("to", "")),
        template=str(payload.get("template", "")),
        params=params,
        text=Msg.from_json(payload.get("text") or {}).render(language),
        out_id=str(message.pk),
    )
    if not sms.phone:
        raise SmsFailed("no phone number")
    sms_backend().send(sms)


@outbox_handler(EMAIL_KIND)
def email_send(message: OutboxMessage) -> None:
    payload = message.payload
    language = payload.get("lang")
    subject = Msg.from_json(payload.get("subject") or {}).render(language)
    body = Msg.from_json(payload.get("body") or {}).render(language)
    EmailMessage(
        subject=subject.replace("\n", " ")[:200],
        body=body,
        to=[str(payload.get("to", ""))],
        headers={"X-Outbox-Id": str(message.pk)},
    ).send()
