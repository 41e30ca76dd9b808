"""The archive's tables: the document register, its access log, borrowing and disposal
(存儲與保管, 保管期限, 查閱與借閱, 保密管理), and the month close with its packages.

Every stored document — an upload of a lower app (qualification documents,
order attachments, signed contract scans) or a generated PDF copy kept when it
was downloaded — has one :class:`Document` row: category, confidentiality,
retention period (by category, from settings) and disposal date. The archive
reads every app's documents through the registry in archive/registry.py and
writes only its own tables (docs/architecture.md).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.uploads import PrivateUploadTo


class DocumentCategory(models.TextChoices):
    """The document classes of the sales file rules; each has its own retention period (archive.retention)."""

    CUSTOMER_FILE = "customer_file", _("Customer file")
    CREDIT_FILE = "credit_file", _("Credit file")
    CONTRACT = "contract", _("Contract")
    QUOTATION = "quotation", _("Quotation")
    ORDER = "order", _("Order")
    SHIPPING = "shipping", _("Shipping record")
    AFTERSALES = "aftersales", _("After-sales record")
    OTHER = "other", _("Other")


class Confidentiality(models.TextChoices):
    NORMAL = "normal", _("Normal")
    CONFIDENTIAL = "confidential", _("Confidential")


class DocumentOrigin(models.TextChoices):
    STORED = "stored", _("Uploaded file")
    GENERATED = "generated", _("Generated PDF")


class DocumentQuerySet(models.QuerySet["Document"]):
    def active(self) -> DocumentQuerySet:
        return self.filter(disposed_at__isnull=True)

    def due_for_disposal(self, today=None) -> DocumentQuerySet:  # type: ignore[no-untyped-def]
        return self.active().filter(disposal_date__lte=today or timezone.localdate())


class Document(models.Model):
    title = models.CharField(_("title"), max_length=300)
    category = models.CharField(_("category"), max_length=20, choices=DocumentCategory.choices)
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=20,
        choices=Confidentiality.choices,
        default=Confidentiality.NORMAL,
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=DocumentOrigin.choices, default=DocumentOrigin.STORED
    )
    # The object that holds (or produced) the file, in whichever app it lives.
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT
    )
    object_id = models.PositiveBigIntegerField(_("object ID"))
    source = GenericForeignKey("content_type", "object_id")
    # Generated PDFs are kept here; uploads stay where their app stored them.
    file = models.FileField(
        _("file"), upload_to=PrivateUploadTo("archive"), max_length=200, blank=True
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    document_date = models.DateField(
        _("retention counted from"),
        help_text=_("Upload date, or the end of the contract / validity of the quotation."),
    )
    retention_years = models.PositiveSmallIntegerField(_("retention (years)"))
    disposal_date = models.DateField(_("disposal date"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    disposed_at = models.DateTimeField(_("disposed at"), null=True, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disposed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    disposal_note = models.TextField(_("disposal note"), blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("registered document")
        verbose_name_plural = _("document register")
        ordering = ["-registered_at", "-id"]
        permissions = [
            ("view_confidential", _("Can open confidential documents without borrowing")),
            ("dispose_document", _("Can confirm the disposal of documents")),
        ]
        constraints = [
            # One register row per stored file / generated document of an object.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "origin"], name="archive_document_once"
            ),
        ]
        indexes = [
            # The data admin's "due for disposal" list.
            models.Index(
                fields=["disposal_date"],
                condition=Q(disposed_at__isnull=True),
                name="archive_document_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("archive:document_open", args=[self.pk])

    @property
    def is_confidential(self) -> bool:
        return self.confidentiality == Confidentiality.CONFIDENTIAL

    @property
    def is_disposed(self) -> bool:
        return self.disposed_at is not None


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    DOWNLOAD = "download", _("Downloaded")


class DocumentAccessLog(models.Model):
    """Every view and download of a confidential document, refused ones included."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    granted = models.BooleanField(_("granted"))
    borrowing = models.ForeignKey(
        "archive.Borrowing",
        verbose_name=_("borrowing"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("document access")
        verbose_name_plural = _("document access log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.document} {self.user} {self.action}"


class BorrowingStatus(models.TextChoices):
    PENDING_DEPARTMENT = "pending_department", _("Waiting for the department head")
    PENDING_SALES_HEAD = "pending_sales_head", _("Waiting for the sales head")
    PENDING_GM = "pending_gm", _("Waiting for the general manager")
    ON_LOAN = "on_loan", _("On loan")
    RETURNED = "returned", _("Returned")
    REJECTED = "rejected", _("Rejected")


BORROWING_STATUS_COLORS = {
    "pending_department": "info",
    "pending_sales_head": "info",
    "pending_gm": "warning",
    "on_loan": "success",
    "returned": "secondary",
    "rejected": "dark",
}

PENDING_BORROWING = (
    BorrowingStatus.PENDING_DEPARTMENT,
    BorrowingStatus.PENDING_SALES_HEAD,
    BorrowingStatus.PENDING_GM,
)


# Which permission decides each pending step (archive/predicates.py).
STEP_PERMISSIONS = {
    BorrowingStatus.PENDING_DEPARTMENT: "archive.approve_borrowing_department",
    BorrowingStatus.PENDING_SALES_HEAD: "archive.approve_borrowing_sales",
    BorrowingStatus.PENDING_GM: "archive.approve_borrowing_confidential",
}


class Borrowing(ConcurrentTransitionMixin, models.Model):
    """A borrowing request (《銷售文件借閱申請表》): who, which documents, why, until when."""

    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("borrower"),
        on_delete=models.PROTECT,
        related_name="borrowings",
    )
    documents = models.ManyToManyField(Document, verbose_name=_("documents"), related_name="loans")
    purpose = models.TextField(_("why"))
    due_date = models.DateField(_("due back on"))
    needs_general_manager = models.BooleanField(
        _("needs the general manager"), default=False, editable=False
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=BorrowingStatus.choices,
        default=BorrowingStatus.PENDING_DEPARTMENT,
        protected=True,
        db_index=True,
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    loaned_at = models.DateTimeField(_("lent at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("borrowing")
        verbose_name_plural = _("borrowing register")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_borrowing_department", _("Can approve borrowings as department head")),
            ("approve_borrowing_sales", _("Can approve borrowings as sales head")),
            ("approve_borrowing_confidential", _("Can approve borrowing confidential documents")),
            ("record_return", _("Can record returned documents")),
        ]
        indexes = [
            # The access check: a user's loans by status and due date.
            models.Index(fields=["borrower", "status", "due_date"], name="archive_borrow_active"),
        ]

    def __str__(self) -> str:
        return f"JY-{self.pk:05d}" if self.pk else str(_("New borrowing"))

    def get_absolute_url(self) -> str:
        return reverse("archive:borrowing_detail", args=[self.pk])

    @property
    def status_color(self) -> str:
        return BORROWING_STATUS_COLORS.get(self.status, "secondary")

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_BORROWING

    # Who may take each transition (role, four eyes) is the predicate of its action:
    # archive/predicates.py, run by the engine (archive/actions.py).
    @transition(
        field=status,
        source=BorrowingStatus.PENDING_DEPARTMENT,
        target=BorrowingStatus.PENDING_SALES_HEAD,
    )
    def approve_department(self) -> None:
        pass

    @transition(
        field=status,
        source=BorrowingStatus.PENDING_SALES_HEAD,
        target=BorrowingStatus.PENDING_GM,
        conditions=[lambda b: b.needs_general_manager],
    )
    def approve_sales_to_gm(self) -> None:
        pass

    @transition(
        field=status,
        source=BorrowingStatus.PENDING_SALES_HEAD,
        target=BorrowingStatus.ON_LOAN,
        conditions=[lambda b: not b.needs_general_manager],
    )
    def approve_sales(self) -> None:
        pass

    @transition(
        field=status,
        source=BorrowingStatus.PENDING_GM,
        target=BorrowingStatus.ON_LOAN,
    )
    def approve_gm(self) -> None:
        pass

    @transition(
        field=status,
        source=list(PENDING_BORROWING),
        target=BorrowingStatus.REJECTED,
    )
    def reject(self) -> None:
        pass

    @transition(
        field=status,
        source=BorrowingStatus.ON_LOAN,
        target=BorrowingStatus.RETURNED,
    )
    def give_back(self) -> None:
        pass


class BorrowingStep(models.Model):
    """One decision on a borrowing: who, which step, approve / reject, comment, when."""

    borrowing = models.ForeignKey(
        Borrowing, verbose_name=_("borrowing"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, choices=BorrowingStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=BorrowingStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("borrowing step")
        verbose_name_plural = _("borrowing steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.borrowing} {self.action}"


# --- the month close (archive/month_close.py) and its packages (archive/packages.py) ---


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
        verbose_name = _("month close")
        verbose_name_plural = _("month closes")
        ordering = ["-period"]
        # Read by the reports app (reports/views.py); declared here since before that app
        # existed, so the permission row and the roles holding it stay as they are
        # (docs/decisions/0007-reports-apart.md).
        permissions = [("view_reports", _("Can view the monthly review and dashboards"))]

    def __str__(self) -> str:
        return self.period


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
