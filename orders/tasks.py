"""Celery tasks of orders: thin wrappers around orders.spreadsheets.imports and
orders.services.orders."""

from __future__ import annotations

from celery import shared_task

from orders.services import orders as services
from orders.spreadsheets import imports


@shared_task(name="orders.import_job_validate", ignore_result=True)
def import_job_validate(job_id: int) -> str:
    """Build the preview of a big spreadsheet; the page polls the job's progress."""
    return imports.import_job_validate(job_id=job_id).status


@shared_task(name="orders.import_job_run", ignore_result=True, time_limit=1800)
def import_job_run(job_id: int) -> str:
    """Import a previewed spreadsheet in one transaction (the page polls progress)."""
    return imports.import_job_run(job_id=job_id).status


@shared_task(name="orders.compact_status_counts", ignore_result=True)
def compact_status_counts() -> int:
    """Fold the order list's status counter rows into one per status."""
    return services.order_status_counts_compact()
