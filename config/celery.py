"""The Celery app: Redis broker from REDIS_URL, or the embedded filesystem broker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("order_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
