"""Celery tasks of core: thin wrappers around core.services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from core import services
from core.exceptions import WebhookError

logger = logging.getLogger(__name__)


@shared_task(name="core.scan_sla_clocks", ignore_result=True)
def scan_sla_clocks() -> dict[str, int]:
    """Run by beat every minute (config/settings.py CELERY_BEAT_SCHEDULE)."""
    return services.sla_clocks_scan(batch_size=settings.SLA_SCAN_BATCH_SIZE).as_dict()


@shared_task(bind=True, name="core.send_notification_webhook", ignore_result=True)
def send_notification_webhook(self, notification_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Post one notification to the webhook, retrying with a growing delay.

    Runs apart from the scan so a slow or hanging robot endpoint never holds it up.
    """
    try:
        return services.notification_webhook_send(notification_id=notification_id)
    except WebhookError as exc:
        retries = self.request.retries
        if retries >= settings.NOTIFY_WEBHOOK_RETRIES:
            logger.error(
                "webhook for notification %s given up after %s attempts: %s",
                notification_id,
                retries + 1,
                exc,
            )
            return False
        logger.warning(
            "webhook for notification %s failed (attempt %s), retrying: %s",
            notification_id,
            retries + 1,
            exc,
        )
        raise self.retry(
            exc=exc,
            countdown=settings.NOTIFY_WEBHOOK_RETRY_DELAY * 2**retries,
            max_retries=settings.NOTIFY_WEBHOOK_RETRIES,
        ) from exc


@shared_task(name="core.deliver_outbox", ignore_result=True)
def deliver_outbox() -> int:
    """Deliver the outbox (kicked after each commit that queued something; swept by beat)."""
    from core.outbox import outbox_deliver

    return outbox_deliver()
