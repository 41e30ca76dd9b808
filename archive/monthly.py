"""Monthly archive and the improvement list (issue «Monthly archive, monthly review report»).

Imported at the end of archive/models.py so Django registers these models with the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.uploads import PrivateUploadTo


class MonthClose(models.Model):
    """A month closed by the data admin: who, when, and what was archived or carried over.

    Closing again is allowed (late completions of that month are archived then); each run
    updates the counts and ``runs``.
    """

    period = models.CharField(_("month"), max_length=7, unique=True)  # YYYY-MM
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now)
    archived = models.PositiveIntegerField(_("orders archived"), default=0)
    carried_over = models.PositiveIntegerField(_("open orders carried over"), default=0)
    runs = models.PositiveSmallIntegerField(_("times closed"), default=1)

    class Meta:
        app_label = "archive"
        verbose_name = _("month close")
        verbose_name_plural = _("month closes")
        ordering = ["-period"]
        permissions = [("view_reports", _("Can view the monthly review and dashboards"))]

    def __str__(self) -> str:
        return self.period


class ImprovementStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class ImprovementItem(models.Model):
    """An action item from the monthly review, carried from month to month until done."""

    period = models.CharField(_("raised in month"), max_length=7)  # YYYY-MM
    problem = models.CharField(_("problem"), max_length=300)
    action = models.CharField(_("corrective action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ImprovementStatus.choices,
        default=ImprovementStatus.OPEN,
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        app_label = "archive"
        verbose_name = _("improvement item")
        verbose_name_plural = _("improvement items")
        ordering = ["status", "due_date"]

    def __str__(self) -> str:
        return self.problem


class PackageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Build failed")


class ArchivePackage(models.Model):
    """A month's archive for offline storage: xlsx of orders and lines + each order's PDFs, zipped.

    Built by a Celery task (a busy month has thousands of PDFs); the page polls ``done``.
    """

    period = models.CharField(_("month"), max_length=7)
    status = models.CharField(
        _("status"), max_length=10, choices=PackageStatus.choices, default=PackageStatus.PENDING
    )
    total = models.PositiveIntegerField(_("orders"), default=0)
    done = models.PositiveIntegerField(_("orders done"), default=0)
    file = models.FileField(
        _("file"), upload_to=PrivateUploadTo("archive_packages"), blank=True, max_length=200
    )
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        app_label = "archive"
        verbose_name = _("archive package")
        verbose_name_plural = _("archive packages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.period} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return (
            100
            if self.status == PackageStatus.DONE
            else int(self.done * 100 / self.total)
            if self.total
            else 0
        )
