"""Celery tasks of the archive: thin wrappers."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="archive.package_build", ignore_result=True, time_limit=3600)
def archive_package_build(package_id: int) -> str:
    from archive.packages import package_build

    return package_build(package_id=package_id).status
