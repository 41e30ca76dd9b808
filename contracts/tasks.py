"""Celery tasks of the contracts: thin wrappers around contracts.services."""

from __future__ import annotations

from celery import shared_task

from contracts import services


@shared_task(name="contracts.remind_expiring_contracts", ignore_result=True)
def remind_expiring_contracts() -> int:
    """Daily: remind of contracts in force that end within CONTRACT_EXPIRY_REMINDER_DAYS."""
    return services.contracts_remind_expiring()
