"""Celery tasks of the contracts: thin wrappers around customers.contract_services."""

from __future__ import annotations

from celery import shared_task

from customers import contract_services


@shared_task(name="customers.remind_expiring_contracts", ignore_result=True)
def remind_expiring_contracts() -> int:
    """Daily: remind of contracts in force that end within CONTRACT_EXPIRY_REMINDER_DAYS."""
    return contract_services.contracts_remind_expiring()
