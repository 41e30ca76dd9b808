"""Celery tasks of the customer side: thin wrappers around customer_portal.services."""

from __future__ import annotations

from celery import shared_task

from customer_portal import services


@shared_task(name="customer_portal.scan_delivery_risk", ignore_result=True)
def scan_delivery_risk() -> int:
    """Run by beat every few minutes (config/settings.py CELERY_BEAT_SCHEDULE): orders whose
    delivery-risk clock warned (48 hours before the promised date, not shipped) get the
    customer's offer, once per promised date. A run that finds nothing changes nothing."""
    return services.risk_offers_scan()
