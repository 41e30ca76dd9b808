"""Celery tasks of fulfillment: thin wrappers around fulfillment.services."""

from __future__ import annotations

from celery import shared_task

from fulfillment import services


@shared_task(name="fulfillment.scan_deadlines", ignore_result=True)
def scan_deadlines() -> dict[str, int]:
    """Run by beat every minute (config/settings.py CELERY_BEAT_SCHEDULE), like core's
    deadline scan: customers' delivery notices the scan fired go into the outbox, stages
    past their planned finish are reported. A run that finds nothing changes nothing."""
    return {
        "delivery_notices": services.delivery_notices_send(),
        "progress_delays": services.progress_delays_scan(),
    }


@shared_task(name="fulfillment.send_delivery_notices", ignore_result=True)
def send_delivery_notices() -> int:
    """The delivery-notice half of ``fulfillment.scan_deadlines``, to run by hand."""
    return services.delivery_notices_send()


@shared_task(name="fulfillment.scan_progress_delays", ignore_result=True)
def scan_progress_delays() -> int:
    """Stages past their planned finish: delay risk to the manager, once per entry."""
    return services.progress_delays_scan()
