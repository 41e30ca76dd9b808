"""Celery tasks of fulfillment: thin wrappers around fulfillment.services."""

from __future__ import annotations

from celery import shared_task

from fulfillment import services


@shared_task(name="fulfillment.send_delivery_notices", ignore_result=True)
def send_delivery_notices() -> int:
    """Also run after every core.scan_sla_clocks (see fulfillment.receivers.after_sla_scan)."""
    return services.delivery_notices_send()


@shared_task(name="fulfillment.scan_progress_delays", ignore_result=True)
def scan_progress_delays() -> int:
    """Stages past their planned finish: delay risk to the manager, once per entry."""
    return services.progress_delays_scan()
