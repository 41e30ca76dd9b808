"""The reports app's own table: the improvement list of the monthly review.

The table kept its name from when the list lived in the archive app
(``db_table``): the move changed the code, not the data
(docs/decisions/0007-reports-apart.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
        db_table = "archive_improvementitem"
        verbose_name = _("improvement item")
        verbose_name_plural = _("improvement items")
        ordering = ["status", "due_date"]

    def __str__(self) -> str:
        return self.problem
