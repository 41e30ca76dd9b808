from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.indexes import trigram_index
from core.uploads import PrivateUploadTo
from core.validators import (
    normalize_credit_code,
    normalize_phone,
    validate_credit_code,
    validate_mobile,
    validate_phone,
    validate_postcode,
)


class Region(models.TextChoices):
    NORTH = "north", _("North China")
    NORTHEAST = "northeast", _("Northeast China")
    EAST = "east", _("East China")
    CENTRAL = "central", _("Central China")
    SOUTH = "south", _("South China")
    SOUTHWEST = "southwest", _("Southwest China")
    NORTHWEST = "northwest", _("Northwest China")
    HK_MACAO_TAIWAN = "hmt", _("Hong Kong, Macao and Taiwan")
    OVERSEAS = "overseas", _("Overseas")


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    IT = "it", _("Information technology")
    TRADE = "trade", _("Wholesale and retail")
    CONSTRUCTION = "construction", _("Construction")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    FINANCE = "finance", _("Finance")
    ENERGY = "energy", _("Energy")
    LOGISTICS = "logistics", _("Logistics")
    GOVERNMENT = "government", _("Government and public sector")
    OTHER = "other", _("Other")


class QualificationStatus(models.TextChoices):
    PENDING = "pending", _("Documents pending")
    QUALIFIED = "qualified", _("Qualified")
    REJECTED = "rejected", _("Not qualified")
    SUSPENDED = "suspended", _("Suspended")


# A first line of credit that covers a usual first order (docs/decisions/0009-credit-policy.md).
NEW_CUSTOMER_CREDIT_LIMIT = Decimal("50000.00")


class CreditPolicy(models.Model):
    """The credit rules an administrator may change (one row, edited in the admin).

    A new customer starts with ``new_customer_credit_limit`` — a first line of credit the
    company grants before it knows the customer; a sales manager or director changes it on
    the customer's file (docs/decisions/0009-credit-policy.md).
    """

    new_customer_credit_limit = models.DecimalField(
        _("credit limit of a new customer (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=NEW_CUSTOMER_CREDIT_LIMIT,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "The limit every new customer starts with; change it on the customer's file. "
            "Customers that exist already keep their limit."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(new_customer_credit_limit__gte=0),
                name="credit_policy_new_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Credit policy"))

    @classmethod
    def current(cls) -> CreditPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


def new_customer_credit_limit() -> Decimal:
    """The default of ``Customer.credit_limit``: the credit policy's limit for new customers,
    whichever way the customer is created (form, order form, importer, admin)."""
    value = CreditPolicy.objects.filter(pk=1).values_list("new_customer_credit_limit", flat=True)
    first = value.first()
    return NEW_CUSTOMER_CREDIT_LIMIT if first is None else first


class Customer(models.Model):
    code = models.CharField(_("customer code"), max_length=20, unique=True)
    name = models.CharField(_("customer name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
        help_text=_("18 characters, as printed on the business licence."),
    )
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    qualification_status = models.CharField(
        _("qualification status"),
        max_length=20,
        choices=QualificationStatus.choices,
        default=QualificationStatus.PENDING,
    )
    credit_limit = models.DecimalField(
        _("credit limit (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=new_customer_credit_limit,
        validators=[MinValueValidator(Decimal("0"))],
    )
    credit_term_days = models.PositiveSmallIntegerField(
        _("credit term (days)"),
        default=30,
        help_text=_("Days allowed between invoice and payment."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
    )
    preferences = models.TextField(_("needs and preferences"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        permissions = [
            ("view_credit", _("Can view credit data")),
            ("change_credit", _("Can change credit limit and term")),
            ("view_contact_details", _("Can view contact phone numbers and e-mail")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="customer_credit_limit_not_negative"
            ),
        ]
        indexes = [
            # The customer list's search by name (icontains) and the duplicate check.
            models.Index(fields=["name"], name="customer_name_idx"),
            # Searching by part of the name (customer list, order list, autocomplete).
            trigram_index("name", name="customer_name_trgm_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        code = normalize_credit_code(self.credit_code or "")
        self.credit_code = code or None


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("position"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, validators=[validate_mobile])
    phone = models.CharField(
        _("landline"),
        max_length=30,
        blank=True,
        validators=[validate_phone],
        help_text=_("With area code, e.g. 010-12345678."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="one_primary_contact"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        self.mobile = normalize_phone(self.mobile)
        self.phone = normalize_phone(self.phone)
        if not self.mobile and not self.phone and not self.email:
            raise ValidationError(
                _("Give at least one way to reach the contact: mobile, landline or e-mail.")
            )

    @property
    def best_phone(self) -> str:
        return self.mobile or self.phone


class Address(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    label = models.CharField(
        _("label"), max_length=50, blank=True, help_text=_("e.g. head office, warehouse")
    )
    address = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(
        _("postcode"), max_length=6, blank=True, validators=[validate_postcode]
    )
    is_default = models.BooleanField(_("default delivery address"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="one_default_address"
            ),
        ]

    def __str__(self) -> str:
        return self.address


class DocumentKind(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    TAX_REGISTRATION = "tax_registration", _("Tax registration")
    BANK_ACCOUNT = "bank_account", _("Bank account licence")
    CREDIT_REPORT = "credit_report", _("Credit report")
    OTHER = "other", _("Other")


class QualificationDocument(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("document type"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=PrivateUploadTo("qualifications"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("qualification document")
        verbose_name_plural = _("qualification documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"


class PaymentRecord(models.Model):
    """An invoice to the customer and what has been received against it (the credit file)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="payments"
    )
    invoice_number = models.CharField(_("invoice number"), max_length=50)
    invoiced_amount = models.DecimalField(
        _("invoiced amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    invoice_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    received_amount = models.DecimalField(
        _("received amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    received_date = models.DateField(_("received on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment record")
        verbose_name_plural = _("payment records")
        ordering = ["-invoice_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(invoiced_amount__gte=0) & Q(received_amount__gte=0),
                name="payment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("invoice_date")),
                name="payment_due_not_before_invoice",
            ),
        ]
        indexes = [models.Index(fields=["customer", "due_date"], name="payment_customer_due_idx")]

    def __str__(self) -> str:
        return self.invoice_number

    @property
    def outstanding(self) -> Decimal:
        return max(self.invoiced_amount - self.received_amount, Decimal("0"))
