"""The nightly Celery beat job (config/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="insights.nightly")
def nightly() -> dict:
    """Learn from the history: resumes an interrupted run, skips a finished one."""
    from insights.services import nightly_run

    run = nightly_run()
    return {"as_of": run.as_of.isoformat(), "seconds": run.seconds}
