"""Spreadsheet import jobs: one uploaded file, its preview, progress and result.

Owned by the importer (orders/spreadsheets/imports.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.uploads import PrivateUploadTo


class ImportJobStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking the file")
    INVALID = "invalid", _("Errors found")
    READY = "ready", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded spreadsheet: its preview (row by row), progress and result.

    The preview lives in ``report`` so the user can leave the page and come back;
    progress counters are written from a separate connection while the import's
    own transaction is still open (see orders.spreadsheets.imports.ProgressReporter).
    """

    file = models.FileField(_("file"), upload_to=PrivateUploadTo("imports"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ImportJobStatus.choices,
        default=ImportJobStatus.VALIDATING,
    )
    total_rows = models.PositiveIntegerField(_("number of rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    create_missing = models.BooleanField(_("create missing customers and products"), default=False)
    report = models.JSONField(_("preview"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_running(self) -> bool:
        return self.status in (ImportJobStatus.VALIDATING, ImportJobStatus.IMPORTING)
