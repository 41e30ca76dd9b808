"""Moving in from the spreadsheet: order import (xlsx / csv) with a preview.

The flow is deliberately not django-import-export's per-row save: its per-row
foreign-key lookups are slow on big files and its bulk mode loses the link
between an error and its row. Instead:

1. :func:`read_sheet` turns the file into rows of raw cells keyed by column
   (Chinese headers of the old order sheet, or English ones);
2. :func:`plan_import` validates every row against lookups loaded once per
   file (customers, products, users, existing orders) and says what would
   happen to each row — nothing is written;
3. :func:`import_write` writes the whole plan in batches inside one
   transaction, and only when no row has an error.

The columns are those of the old order sheet (orders/spreadsheets/columns.py);
the export (orders/spreadsheets/exports.py) writes the same, so a file exported
from the portal imports back as "unchanged".

**The status a new order gets.** A row's 订单状态 (an old sheet word such as 已审核,
a page label such as 已确认 / Confirmed, or a code) is what the team recorded; the
order enters its state through the ``order.import`` action (the ``record_import``
transition, docs/workflow.md §4). Whether the recorded state is kept depends on whether
the portal still has work to do before it (:data:`KEPT_STATUSES`):

* **kept** — shipped, delivered, accepted, completed, cancelled, rejected, archived: the
  goods have left or the order is closed. Review, approval, the credit check and the
  stock reservation all come before these states; running them on history would only
  flood the review queue. What follows (delivery, acceptance, completion, the month
  close) is taken in the portal by the usual steps;
* **to review** (待审核) — everything before shipping: pending review, needs
  information, pending (director) approval, returned, confirmed, service scheduled,
  preparing, ready to ship, and a row without a status. The portal has not reviewed,
  approved or reserved stock for these orders; marking them confirmed would send
  unreserved, unapproved orders to the warehouse. They go through review as if
  submitted; the preview says so per order, and how many;
* **draft** — a row whose number cell is a draft reference ("草稿 #42", as the export
  writes a draft, which has no number): the same draft when it is still one in the
  portal, a new draft (without a number) otherwise. A numbered row recorded as 草稿 was
  submitted (it has a number): it goes to review.

An order the portal already holds keeps the portal's status: its workflow changes it.

**Numbers** must fit the database columns (quantity, unit price, the line amount and the
order total): a larger one is an error of its row and column in the preview, never a
failure of the write.
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from core.messages import Msg, message_store
from core.people import person_name
from core.spreadsheets import (
    SPREADSHEET_KINDS,
    ImportFileError,
    csv_rows,
    xlsx_rows,
)
from core.uploads import FileKind, validate_upload
from core.validators import normalize_credit_code, normalize_phone, validate_phone
from customers.models import Contact, Customer, Industry, QualificationStatus
from customers.services import customer_next_code
from orders.actions.orders import import_steps, order_event
from orders.models import (
    EDITABLE_STATUSES,
    ImportJob,
    ImportJobStatus,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    PaymentTerms,
    Product,
    SourceChannel,
)
from orders.spreadsheets.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    SHEET_STATUSES,
    draft_pk,
    draft_reference,
    status_word,
)

# Limits that keep a hostile file from exhausting the server.
MAX_BYTES = getattr(settings, "ORDER_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
MAX_ROWS = getattr(settings, "ORDER_IMPORT_MAX_ROWS", 100_000)
# From this many rows on, validation and the write run in a Celery task.
ASYNC_ROWS = getattr(settings, "ORDER_IMPORT_ASYNC_ROWS", 2_000)
BATCH_SIZE = 1_000
# The preview keeps this many rows per job in the database (errors are always kept).
REPORT_MAX_ROWS = 20_000

# --- messages (tests assert against these constants) --------------------------------
MSG_NO_HEADER = gettext_lazy(
    "No header row found. The first rows must name the columns, e.g. 订单编号, 客户名称, "
    "产品/服务名称, 数量, 单价(元)."
)
MSG_MISSING_COLUMNS = gettext_lazy("Required columns are missing: %(columns)s.")
MSG_TOO_MANY_ROWS = gettext_lazy("The file has more than %(limit)s rows; split it into parts.")
MSG_NO_ROWS = gettext_lazy("The file has no data rows.")
MSG_REQUIRED = gettext_lazy("Required.")
MSG_FORMULA = gettext_lazy(
    "This cell holds a formula; formulas are not imported. Enter the value itself."
)
MSG_NUMBER = gettext_lazy("“%(value)s” is not a number.")
MSG_POSITIVE = gettext_lazy("Must be greater than zero.")
MSG_TOO_LARGE = gettext_lazy("Too large: the portal holds at most %(limit)s here.")
MSG_AMOUNT_TOO_LARGE = gettext_lazy(
    "Quantity × unit price is %(amount)s, more than the portal holds for a line (%(limit)s)."
)
MSG_TOTAL_TOO_LARGE = gettext_lazy(
    "With this line the order's total reaches %(total)s, more than the portal holds for an "
    "order (%(limit)s); split the order."
)
MSG_NOT_NEGATIVE = gettext_lazy("Cannot be negative.")
MSG_DECIMALS = gettext_lazy("At most two decimal places.")
MSG_DISCOUNT = gettext_lazy("A discount is between 0 and 100 %.")
MSG_AMOUNT = gettext_lazy("The amount %(amount)s is not quantity × unit price (%(expected)s).")
MSG_DATE = gettext_lazy("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2024-05-10.")
MSG_DELIVERY_BEFORE = gettext_lazy("The delivery date is before the order date.")
MSG_DELIVERY_BEFORE_ORDER = gettext_lazy(
    "The delivery date %(delivery)s is before the order's date %(order)s (%(source)s)."
)
MSG_ORDER_DATE_TODAY = gettext_lazy("the row gives none, so today's; give the order date")
MSG_ORDER_DATE_PORTAL = gettext_lazy("the order's date in the portal")
MSG_ORDER_DATE_ROW = gettext_lazy("the order date of row %(row)s")
MSG_DELIVERY_DATE_PORTAL = gettext_lazy("the delivery date is the portal's")
MSG_STATUS = gettext_lazy("Unknown status “%(value)s”; use one of %(choices)s.")
MSG_CHANNEL = gettext_lazy("Unknown source “%(value)s”; use one of %(choices)s.")
MSG_TOO_LONG = gettext_lazy("At most %(limit)s characters.")
MSG_UNKNOWN_PRODUCT = gettext_lazy("Unknown product “%(value)s”.")
MSG_UNKNOWN_PRODUCT_NEW = gettext_lazy(
    "Unknown product “%(value)s”: created only if you agree below, otherwise fix the name."
)
MSG_NEW_CUSTOMER = gettext_lazy(
    "Unknown customer “%(value)s”: created only if you agree below, otherwise fix the name."
)
MSG_AMBIGUOUS_PRODUCT = gettext_lazy(
    "Several products are called “%(value)s”; give the product code or the specification."
)
MSG_UNKNOWN_CUSTOMER_CODE = gettext_lazy("No customer has the code “%(value)s”.")
MSG_AMBIGUOUS_CUSTOMER = gettext_lazy(
    "Several customers are called “%(value)s”; give the credit code or the customer code."
)
MSG_CUSTOMER_NAME_MISMATCH = gettext_lazy(
    "The credit code belongs to customer “%(name)s”, not “%(value)s”."
)
MSG_DIFFERENT_CUSTOMER = gettext_lazy(
    "Order number %(number)s already belongs to customer “%(other)s”."
)
MSG_DIFFERS_FROM_ROW = gettext_lazy(
    "Differs from row %(row)s of the same order (“%(value)s”); rows of one order share it."
)
MSG_LOCKED_ORDER = gettext_lazy(
    "Order %(number)s is already “%(status)s” in the portal; change it there, not by import."
)
MSG_UNKNOWN_OWNER = gettext_lazy("Unknown sales owner “%(value)s”: you become the owner.")
MSG_STATUS_KEPT = gettext_lazy(
    "Status kept as “%(status)s”: the portal's workflow changes existing orders."
)
MSG_TO_REVIEW = gettext_lazy(
    "Recorded as “%(recorded)s”, imported as “%(status)s”: the portal reviews, approves and "
    "reserves stock for an order that has not shipped."
)
MSG_DRAFT_SUBMITTED = gettext_lazy(
    "%(reference)s is no longer a draft: it was submitted as %(number)s; use that number."
)
MSG_DRAFT_STATUS = gettext_lazy(
    "A row without an order number (%(reference)s) is a draft; its status can only be “%(draft)s”."
)
MSG_LINES_REMOVED = gettext_lazy("%(count)s line(s) of the portal's order are not in the file.")
MSG_IMPORT_FAILED = gettext_lazy("The import failed; nothing was changed.")
MSG_HAS_ERRORS = gettext_lazy("The file still has errors; nothing was imported.")
MSG_CONSENT = gettext_lazy(
    "The file names customers or products the portal does not know; tick “create them” to go on."
)


# A numbered row without a (kept) status: numbered orders in this portal have been
# submitted, and the sheet's first state is 待审核 — so pending review, not draft
# (a draft has no number here, and the team would have to re-submit every row).
DEFAULT_STATUS = OrderStatus.PENDING_REVIEW

# The recorded states a new order keeps (see the module's docstring): the goods have left
# or the order is closed, so no review, approval or reservation is still to come.
KEPT_STATUSES = frozenset(
    {
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.ACCEPTED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
        OrderStatus.REJECTED,
        OrderStatus.ARCHIVED,
    }
)


def imported_status(recorded: str, *, draft: bool = False) -> str:
    """The status a new order enters through ``order.import``: the recorded one when it
    is final enough (:data:`KEPT_STATUSES`), a draft for a draft reference, else review."""
    if draft:
        return OrderStatus.DRAFT
    return recorded if recorded in KEPT_STATUSES else DEFAULT_STATUS


def _limit(field: Any) -> Decimal:
    """The largest value a DecimalField (or a generated decimal column) holds."""
    field = getattr(field, "output_field", None) or field
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(
        -field.decimal_places
    )


# What the database columns hold; a larger number is a row error, not a failed write.
MAX_QUANTITY = _limit(OrderLine._meta.get_field("quantity"))
MAX_UNIT_PRICE = min(
    _limit(OrderLine._meta.get_field("unit_price")), _limit(Product._meta.get_field("list_price"))
)
MAX_LINE_AMOUNT = _limit(OrderLine._meta.get_field("amount"))
MAX_TOTAL = _limit(Order._meta.get_field("total_amount"))
# Any other number cell (the amount, the discount) beyond this is too large to mean anything.
MAX_NUMBER = max(MAX_LINE_AMOUNT, MAX_TOTAL)

CHANNEL_WORDS: dict[str, str] = {
    "线上商城": SourceChannel.WEB,
    "网站": SourceChannel.WEB,
    "线上": SourceChannel.WEB,
    "电话": SourceChannel.PHONE,
    "邮件": SourceChannel.EMAIL,
    "电子邮件": SourceChannel.EMAIL,
    "纸质": SourceChannel.PAPER,
    "书面": SourceChannel.PAPER,
    "展会": SourceChannel.TRADE_SHOW,
    "线下展会": SourceChannel.TRADE_SHOW,
    "线下": SourceChannel.TRADE_SHOW,
    "经销商": SourceChannel.DISTRIBUTOR,
}
# Common ways the old sheet wrote payment terms (the old order sheet: "30%预付，余款到付").
PAYMENT_WORDS: dict[str, str] = {
    "30%预付,余款到付": PaymentTerms.DEPOSIT_30,
    "预付30%,余款到付": PaymentTerms.DEPOSIT_30,
    "款到发货": PaymentTerms.PREPAID,
    "全款预付": PaymentTerms.PREPAID,
    "预付": PaymentTerms.PREPAID,
    "货到付款": PaymentTerms.ON_DELIVERY,
    "月结30天": PaymentTerms.NET_30,
    "月结60天": PaymentTerms.NET_60,
}

_FULLWIDTH = str.maketrans("（）：，％", "():,%")


def _norm_header(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).translate(_FULLWIDTH).lower()


_HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.english, *_column.aliases):
        _HEADER_LOOKUP[_norm_header(_name)] = _column.key


def _norm_word(text: str) -> str:
    return re.sub(r"\s+", "", text).translate(_FULLWIDTH).lower()


def _labels(choices: Any) -> dict[str, str]:
    """Codes and labels (Chinese and English) of a TextChoices, normalised -> code."""
    found: dict[str, str] = {}
    for code in choices.values:
        found[_norm_word(code)] = code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                found[_norm_word(str(choices(code).label))] = code
    return found


# --- reading ------------------------------------------------------------------------


@dataclass
class RawRow:
    row: int  # the row number the user sees in the spreadsheet program
    cells: dict[str, Any]


@dataclass
class Sheet:
    columns: list[str]  # keys of the recognised columns, in file order
    rows: list[RawRow]


def read_sheet(data: IO[bytes], name: str) -> Sheet:
    """The rows of the first sheet (xlsx) or of a csv file, keyed by column.

    The header is the first of the first ten rows that names at least three known
    columns, so a title row above the table (as in the old sheet) is fine.
    """
    ext = PurePath(name).suffix.lower()
    rows = xlsx_rows(data) if ext == ".xlsx" else csv_rows(data)
    header: dict[int, str] | None = None
    result: list[RawRow] = []
    for number, values in rows:
        if header is None:
            found = {
                index: _HEADER_LOOKUP[_norm_header(value)]
                for index, value in enumerate(values)
                if _norm_header(value) in _HEADER_LOOKUP
            }
            if len(found) >= 3:
                header = {}
                for index, key in found.items():
                    header.setdefault(index, key)
                missing = [c.header for c in COLUMNS if c.required and c.key not in header.values()]
                if missing:
                    raise ImportFileError(MSG_MISSING_COLUMNS % {"columns": "、".join(missing)})
            elif number >= 10:
                raise ImportFileError(MSG_NO_HEADER)
            continue
        cells = {key: values[index] for index, key in header.items() if index < len(values)}
        if all(value is None or str(value).strip() == "" for value in cells.values()):
            continue
        result.append(RawRow(number, cells))
        if len(result) > MAX_ROWS:
            raise ImportFileError(MSG_TOO_MANY_ROWS % {"limit": MAX_ROWS})
    if header is None:
        raise ImportFileError(MSG_NO_HEADER)
    if not result:
        raise ImportFileError(MSG_NO_ROWS)
    return Sheet(columns=list(dict.fromkeys(header.values())), rows=result)


def validate_spreadsheet_upload(upload: Any) -> FileKind:
    """Size, extension and signature of an uploaded spreadsheet (the content is read later)."""
    return validate_upload(upload, kinds=SPREADSHEET_KINDS, max_bytes=MAX_BYTES)


# --- cell parsing -------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


_QUOTED_FORMULA = re.compile(r"^'[=+\-@\t\r]")


def _text(value: Any) -> str:
    """A cell as text; refuses formulas, and undoes the export's neutralising quote."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text = str(value).strip()
    if _QUOTED_FORMULA.match(text):
        return text[1:]
    if text.startswith("="):
        raise CellError(MSG_FORMULA)
    return text


def _decimal(value: Any, *, positive: bool = False, limit: Decimal = MAX_NUMBER) -> Decimal:
    """A number cell, at most ``limit`` (what its database column holds), two decimals."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
        if not number.is_finite():
            raise CellError(MSG_NUMBER % {"value": value})
    else:
        text = _text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        text = text.replace("元", "").strip()
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise CellError(MSG_NUMBER % {"value": text}) from exc
        if not number.is_finite():
            raise CellError(MSG_NUMBER % {"value": text})
    if positive and number <= 0:
        raise CellError(MSG_POSITIVE)
    if number < 0:
        raise CellError(MSG_NOT_NEGATIVE)
    # Before any rounding: quantize() itself fails on a number of 30 digits.
    if number > limit:
        raise CellError(MSG_TOO_LARGE % {"limit": f"{limit:,.2f}"})
    if number != number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise CellError(MSG_DECIMALS)
    return number.quantize(Decimal("0.01"))


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    match = _DATE_RE.match(text.split(" ")[0] if " " in text and ":" in text else text)
    if not match:
        raise CellError(MSG_DATE % {"value": text})
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise CellError(MSG_DATE % {"value": text}) from exc


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CellError(MSG_TOO_LONG % {"limit": limit})
    return text


def line_amount(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """The amount the database computes (OrderLine.amount), rounded to the fen."""
    raw = quantity * unit_price * (Decimal("100") - discount) / Decimal("100")
    return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the plan -----------------------------------------------------------------------

NEW_ORDER, NEW_LINE, UPDATE, UNCHANGED, ERROR = (
    "new_order",
    "new_line",
    "update",
    "unchanged",
    "error",
)
ACTION_LABELS = {
    NEW_ORDER: gettext_lazy("New order"),
    NEW_LINE: gettext_lazy("New line"),
    UPDATE: gettext_lazy("Update"),
    UNCHANGED: gettext_lazy("Unchanged"),
    ERROR: gettext_lazy("Error"),
}


@dataclass
class RowResult:
    row: int
    number: str = ""
    customer: str = ""
    product: str = ""
    quantity: str = ""
    amount: str = ""
    action: str = ""
    after_status: str = ""  # the status the row's order will have after the import
    review: bool = False  # a new order that goes to review instead of its recorded state
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, key: str, message: object) -> None:
        self.errors.append((COLUMN_BY_KEY[key].header, str(message)))


@dataclass
class LinePlan:
    row: int
    product: Product | None
    product_key: str  # the missing product's key when ``product`` is None
    spec: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    unit: str


@dataclass
class OrderPlan:
    number: str
    first_row: int
    customer: Customer | None
    customer_key: str  # the missing customer's key when ``customer`` is None
    header: dict[str, Any]
    header_rows: dict[str, tuple[int, Any]]
    status: str  # as the sheet records it ("" when it does not say)
    draft: bool = False  # the number cell is a draft reference: the order has no number
    lines: list[LinePlan] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    existing: Order | None = None
    action: str = NEW_ORDER
    has_error: bool = False
    import_status: str = ""  # the status a new order enters (imported_status)


@dataclass
class MissingCustomer:
    name: str
    credit_code: str
    contact: str
    phone: str
    rows: list[int] = field(default_factory=list)


@dataclass
class MissingProduct:
    name: str
    spec: str
    code: str
    unit_price: Decimal
    rows: list[int] = field(default_factory=list)


@dataclass
class ImportPlan:
    columns: list[str]
    rows: list[RowResult]
    orders: dict[str, OrderPlan]
    missing_customers: dict[str, MissingCustomer]
    missing_products: dict[str, MissingProduct]

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def is_clean(self) -> bool:
        return not any(row.errors for row in self.rows)

    @property
    def needs_consent(self) -> bool:
        return bool(self.missing_customers or self.missing_products)

    def counts(self) -> dict[str, int]:
        counts = Counter(row.action for row in self.rows)
        return {
            "rows": len(self.rows),
            "errors": len(self.error_rows),
            "orders": len(self.orders),
            NEW_ORDER: counts[NEW_ORDER],
            NEW_LINE: counts[NEW_LINE],
            UPDATE: counts[UPDATE],
            UNCHANGED: counts[UNCHANGED],
            "new_customers": len(self.missing_customers),
            "new_products": len(self.missing_products),
            # New orders that go to review instead of the state their rows record.
            "review": sum(
                1
                for order in self.orders.values()
                if order.action == NEW_ORDER and order.import_status == OrderStatus.PENDING_REVIEW
            ),
            # New orders that keep a recorded state (shipped, completed, cancelled …).
            "kept": sum(
                1
                for order in self.orders.values()
                if order.action == NEW_ORDER
                and order.import_status not in ("", OrderStatus.PENDING_REVIEW)
            ),
        }

    def as_report(self) -> dict[str, Any]:
        """What the preview page shows, as JSON for ImportJob.report."""
        kept = [r for r in self.rows if r.errors]
        kept += [r for r in self.rows if not r.errors][: max(0, REPORT_MAX_ROWS - len(kept))]
        kept.sort(key=lambda r: r.row)
        return {
            "counts": self.counts(),
            "clean": self.is_clean,
            "truncated": len(kept) < len(self.rows),
            "rows": [
                {
                    "row": r.row,
                    "number": r.number,
                    "customer": r.customer,
                    "product": r.product,
                    "quantity": r.quantity,
                    "amount": r.amount,
                    "action": r.action,
                    "status": r.after_status,
                    "review": r.review,
                    "errors": [{"column": c, "message": m} for c, m in r.errors],
                    "notes": r.notes,
                }
                for r in kept
            ],
            "missing_customers": [
                {"name": m.name, "credit_code": m.credit_code, "rows": m.rows[:10]}
                for m in self.missing_customers.values()
            ],
            "missing_products": [
                {"name": m.name, "spec": m.spec, "code": m.code, "rows": m.rows[:10]}
                for m in self.missing_products.values()
            ],
        }


class Lookups:
    """Everything a file refers to, loaded in a handful of queries before the rows are read."""

    def __init__(self, sheet: Sheet) -> None:
        cells = [row.cells for row in sheet.rows]

        def values(key: str) -> set[str]:
            found = set()
            for cell in cells:
                try:
                    text = _text(cell.get(key))
                except CellError:
                    continue
                if text:
                    found.add(text)
            return found

        credit_codes = {normalize_credit_code(v) for v in values("credit_code")}
        customer_codes = values("customer_code")
        names = values("customer")
        customers = Customer.objects.filter(
            Q(credit_code__in=credit_codes) | Q(code__in=customer_codes) | Q(name__in=names)
        )
        self.customer_by_credit: dict[str, Customer] = {}
        self.customer_by_code: dict[str, Customer] = {}
        self.customers_by_name: dict[str, list[Customer]] = defaultdict(list)
        for customer in customers:
            if customer.credit_code:
                self.customer_by_credit[customer.credit_code] = customer
            self.customer_by_code[customer.code] = customer
            self.customers_by_name[customer.name].append(customer)

        product_codes = {v.upper() for v in values("product_code")}
        product_names = values("product")
        products = Product.objects.filter(
            Q(code__in=product_codes | {v.upper() for v in product_names})
            | Q(name__in=product_names)
        )
        self.product_by_code: dict[str, Product] = {}
        self.products_by_name: dict[str, list[Product]] = defaultdict(list)
        for product in products:
            self.product_by_code[product.code] = product
            self.products_by_name[product.name].append(product)

        self.users: dict[str, Any] = {}
        for user in get_user_model().objects.filter(is_active=True).order_by("pk"):
            for key in (user.get_username(), person_name(user)):
                self.users.setdefault(key, user)

        numbers = sorted(values("number"))
        self.orders: dict[str, Order] = {}
        # Draft references ("草稿 #42"): the draft itself, keyed by its reference; one that
        # has been submitted since is kept apart to say so.
        self.submitted_drafts: dict[str, Order] = {}
        draft_pks = {pk for pk in map(draft_pk, numbers) if pk is not None}
        for order in (
            Order.objects.filter(pk__in=draft_pks)
            .select_related("customer")
            .prefetch_related("lines")
        ):
            if order.number:
                self.submitted_drafts[draft_reference(order.pk)] = order
            else:
                self.orders[draft_reference(order.pk)] = order
        for start in range(0, len(numbers), 2_000):
            chunk = numbers[start : start + 2_000]
            for order in (
                Order.objects.filter(number__in=chunk)
                .select_related("customer")
                .prefetch_related("lines")
            ):
                self.orders[order.number or ""] = order

        self.statuses = dict(SHEET_STATUSES) | _labels(OrderStatus)
        self.channels = {_norm_word(k): v for k, v in CHANNEL_WORDS.items()} | _labels(
            SourceChannel
        )
        self.payments = {_norm_word(k): v for k, v in PAYMENT_WORDS.items()} | _labels(PaymentTerms)


def _read_header(raw: RawRow, result: RowResult, lookups: Lookups, actor: User) -> dict[str, Any]:
    """The order-level fields of one row (only those whose column is in the file)."""
    cells = raw.cells
    header: dict[str, Any] = {}

    def take(key: str, parse: Callable[[Any], Any]) -> None:
        if key not in cells:
            return
        try:
            header[key] = parse(cells[key])
        except CellError as exc:
            result.error(key, exc.message)

    take("contact", lambda v: _limited(_text(v), 50))

    def phone(value: Any) -> str:
        text = _limited(_text(value), 30)
        if not text:
            return ""
        try:
            validate_phone(text)
        except ValidationError as exc:
            raise CellError(exc.messages[0]) from exc
        return normalize_phone(text)

    take("phone", phone)
    take("order_date", _date)
    take("delivery_date", _date)
    take("address", lambda v: _limited(_text(v), 300))
    take("note", _text)

    def payment(value: Any) -> tuple[str, str]:
        text = _limited(_text(value), 200)
        if not text:
            return ("", "")
        code = lookups.payments.get(_norm_word(text))
        return (code, "") if code else (PaymentTerms.OTHER, text)

    take("payment", payment)

    def channel(value: Any) -> str:
        text = _text(value)
        if not text:
            return ""
        code = lookups.channels.get(_norm_word(text))
        if code is None:
            raise CellError(
                MSG_CHANNEL % {"value": text, "choices": "、".join(dict.fromkeys(CHANNEL_WORDS))}
            )
        return code

    take("channel", channel)

    def owner(value: Any) -> Any:
        text = _text(value)
        if not text:
            return None
        user = lookups.users.get(text)
        if user is None:
            result.notes.append(str(MSG_UNKNOWN_OWNER % {"value": text}))
            return actor
        return user

    take("owner", owner)

    def status(value: Any) -> str:
        text = _text(value)
        if not text:
            return ""
        code = lookups.statuses.get(text) or lookups.statuses.get(_norm_word(text))
        if code is None:
            words = dict.fromkeys([*map(status_word, OrderStatus.values), *SHEET_STATUSES])
            raise CellError(MSG_STATUS % {"value": text, "choices": "、".join(words)})
        return code

    take("status", status)
    if header.get("order_date") is None and "order_date" in header:
        header.pop("order_date")
    return header


def _resolve_customer(
    raw: RawRow, result: RowResult, lookups: Lookups, plan: ImportPlan
) -> tuple[Customer | None, str]:
    cells = raw.cells
    try:
        name = _limited(_text(cells.get("customer")), 200)
        credit = normalize_credit_code(_text(cells.get("credit_code")))
        code = _text(cells.get("customer_code"))
    except CellError as exc:
        result.error("customer", exc.message)
        return None, ""
    if not name and not credit and not code:
        result.error("customer", MSG_REQUIRED)
        return None, ""
    result.customer = name or code or credit
    if credit and credit in lookups.customer_by_credit:
        customer = lookups.customer_by_credit[credit]
        if name and customer.name != name:
            result.error(
                "credit_code", MSG_CUSTOMER_NAME_MISMATCH % {"name": customer.name, "value": name}
            )
        return customer, ""
    if code:
        if code in lookups.customer_by_code:
            return lookups.customer_by_code[code], ""
        result.error("customer_code", MSG_UNKNOWN_CUSTOMER_CODE % {"value": code})
        return None, ""
    candidates = lookups.customers_by_name.get(name, [])
    if len(candidates) == 1:
        return candidates[0], ""
    if len(candidates) > 1:
        result.error("customer", MSG_AMBIGUOUS_CUSTOMER % {"value": name})
        return None, ""
    if credit:
        from core.validators import validate_credit_code

        try:
            validate_credit_code(credit)
        except ValidationError as exc:
            result.error("credit_code", exc.messages[0])
            return None, ""
    # Unknown: created on import if the user agrees in the preview.
    key = credit or name
    missing = plan.missing_customers.get(key)
    if missing is None:
        missing = plan.missing_customers[key] = MissingCustomer(
            name=name,
            credit_code=credit,
            contact=_text(cells.get("contact")) if "contact" in cells else "",
            phone=_text(cells.get("phone")) if "phone" in cells else "",
        )
    missing.rows.append(raw.row)
    result.notes.append(str(MSG_NEW_CUSTOMER % {"value": name or credit}))
    return None, key


def _resolve_product(
    raw: RawRow, result: RowResult, lookups: Lookups, plan: ImportPlan, unit_price: Decimal | None
) -> tuple[Product | None, str, str]:
    cells = raw.cells
    try:
        name = _limited(_text(cells.get("product")), 200)
        spec = _limited(_text(cells.get("spec")), 200)
        code = _text(cells.get("product_code")).upper()
    except CellError as exc:
        result.error("product", exc.message)
        return None, "", ""
    result.product = " ".join(part for part in (name, spec) if part)
    if not name and not code:
        result.error("product", MSG_REQUIRED)
        return None, "", spec
    if code:
        product = lookups.product_by_code.get(code)
        if product is None:
            result.error("product_code", MSG_UNKNOWN_PRODUCT % {"value": code})
        return product, "", spec
    candidates = lookups.products_by_name.get(name, [])
    if len(candidates) > 1 and spec:
        candidates = [p for p in candidates if spec in (p.spec, p.code)] or candidates
    if len(candidates) == 1:
        return candidates[0], "", spec
    if len(candidates) > 1:
        result.error("product", MSG_AMBIGUOUS_PRODUCT % {"value": name})
        return None, "", spec
    by_code = lookups.product_by_code.get(name.upper())
    if by_code is not None:
        return by_code, "", spec
    key = f"{name}\x1f{spec}"
    missing = plan.missing_products.get(key)
    if missing is None:
        missing = plan.missing_products[key] = MissingProduct(
            name=name, spec=spec, code="", unit_price=unit_price or Decimal("0")
        )
    missing.rows.append(raw.row)
    result.notes.append(str(MSG_UNKNOWN_PRODUCT_NEW % {"value": result.product}))
    return None, key, spec


HEADER_FIELDS = {
    # sheet key -> Order attribute (for comparison and update)
    "contact": "contact_name",
    "phone": "contact_phone",
    "order_date": "order_date",
    "delivery_date": "requested_delivery_date",
    "address": "delivery_address",
    "note": "special_requirements",
    "channel": "source_channel",
}


def _header_differs(order: Order, header: dict[str, Any], customer: Customer | None) -> bool:
    if customer is None or order.customer_id != customer.pk:
        return True
    for key, attr in HEADER_FIELDS.items():
        if (
            key in header
            and key != "channel"
            and (getattr(order, attr) or "") != (header[key] or "")
        ):
            return True
    if header.get("channel") and order.source_channel != header["channel"]:
        return True
    if "payment" in header:
        terms, note = header["payment"]
        if order.payment_terms != terms:
            return True
        if terms == PaymentTerms.OTHER and order.payment_note != note:
            return True
    return bool(header.get("owner") is not None and order.owner_id != header["owner"].pk)


def _line_differs(line: OrderLine, plan: LinePlan) -> bool:
    return (
        plan.product is None
        or line.product_id != plan.product.pk
        or (line.spec or "") != plan.spec
        or line.quantity != plan.quantity
        or line.unit_price != plan.unit_price
        or line.discount_percent != plan.discount
    )


def plan_import(
    sheet: Sheet, *, actor: User, progress: Callable[[int], None] | None = None
) -> ImportPlan:
    """Validate every row and decide what importing it would do. Reads only."""
    lookups = Lookups(sheet)
    plan = ImportPlan(
        columns=sheet.columns, rows=[], orders={}, missing_customers={}, missing_products={}
    )
    for index, raw in enumerate(sheet.rows, start=1):
        result = RowResult(row=raw.row)
        plan.rows.append(result)
        _plan_row(raw, result, lookups, plan, actor)
        if progress is not None and index % 500 == 0:
            progress(index)
    _plan_orders(plan, lookups)
    for result in plan.rows:
        if result.errors:
            result.action = ERROR
    if progress is not None:
        progress(len(sheet.rows))
    return plan


def _plan_row(
    raw: RawRow, result: RowResult, lookups: Lookups, plan: ImportPlan, actor: User
) -> None:
    cells = raw.cells
    draft = False
    try:
        number = _limited(_text(cells.get("number")), 30)
        if not number:
            result.error("number", MSG_REQUIRED)
        pk = draft_pk(number)
        if pk is not None:
            # A draft reference: one key however it is spelt (草稿 #42, Draft #42).
            draft, number = True, draft_reference(pk)
    except CellError as exc:
        result.error("number", exc.message)
        number = ""
    result.number = number

    quantity = unit_price = None
    discount = Decimal("0")
    # A draft may have no lines yet: the export writes it as one row without line cells.
    lineless = draft and all(
        _blank(cells.get(key))
        for key in ("product", "product_code", "spec", "quantity", "unit_price", "amount")
    )
    limits = {"quantity": MAX_QUANTITY, "unit_price": MAX_UNIT_PRICE}
    for key in ("quantity", "unit_price") if not lineless else ():
        value = cells.get(key)
        if _blank(value):
            result.error(key, MSG_REQUIRED)
            continue
        try:
            parsed = _decimal(value, positive=key == "quantity", limit=limits[key])
        except CellError as exc:
            result.error(key, exc.message)
            continue
        if key == "quantity":
            quantity = parsed
        else:
            unit_price = parsed
    result.quantity = _text(cells.get("quantity")) if "quantity" in cells else ""
    if cells.get("discount") not in (None, ""):
        try:
            discount = _decimal(cells["discount"])
            if discount > 100:
                raise CellError(MSG_DISCOUNT)
        except CellError as exc:
            result.error("discount", exc.message)
    if quantity is not None and unit_price is not None:
        expected = line_amount(quantity, unit_price, discount)
        result.amount = f"{expected:.2f}"
        if expected > MAX_LINE_AMOUNT:
            result.error(
                "amount",
                MSG_AMOUNT_TOO_LARGE
                % {"amount": f"{expected:,.2f}", "limit": f"{MAX_LINE_AMOUNT:,.2f}"},
            )
            quantity = None  # no line to plan: the row is in error
        elif cells.get("amount") not in (None, ""):
            try:
                given = _decimal(cells["amount"])
            except CellError as exc:
                result.error("amount", exc.message)
            else:
                if given != expected:
                    result.error(
                        "amount",
                        MSG_AMOUNT % {"amount": f"{given:.2f}", "expected": f"{expected:.2f}"},
                    )

    customer, customer_key = _resolve_customer(raw, result, lookups, plan)
    if lineless:
        product, product_key, spec = None, "", ""
    else:
        product, product_key, spec = _resolve_product(raw, result, lookups, plan, unit_price)
    header = _read_header(raw, result, lookups, actor)
    order_day, delivery_day = header.get("order_date"), header.get("delivery_date")
    if order_day and delivery_day and delivery_day < order_day:
        result.error("delivery_date", MSG_DELIVERY_BEFORE)

    if not number:
        return
    order_plan = plan.orders.get(number)
    if order_plan is None:
        order_plan = plan.orders[number] = OrderPlan(
            number=number,
            first_row=raw.row,
            customer=customer,
            customer_key=customer_key,
            header=dict(header),
            header_rows={key: (raw.row, cells.get(key)) for key in header},
            status=header.get("status") or "",
            draft=draft,
        )
    else:
        # Rows of one order share the order's fields; a blank cell inherits them.
        same_customer = (customer is not None and customer == order_plan.customer) or (
            customer_key and customer_key == order_plan.customer_key
        )
        if not same_customer and (customer is not None or customer_key):
            result.error(
                "customer",
                MSG_DIFFERS_FROM_ROW
                % {"row": order_plan.first_row, "value": order_plan.rows[0].customer},
            )
        for key, value in header.items():
            if value in (None, "", ("", "")):
                continue
            if key not in order_plan.header or order_plan.header[key] in (None, "", ("", "")):
                order_plan.header[key] = value
                order_plan.header_rows[key] = (raw.row, cells.get(key))
            elif order_plan.header[key] != value:
                first_row, first_value = order_plan.header_rows[key]
                result.error(
                    key, MSG_DIFFERS_FROM_ROW % {"row": first_row, "value": _text(first_value)}
                )
        if header.get("status"):
            order_plan.status = order_plan.header["status"]
    order_plan.rows.append(result)
    if quantity is not None and unit_price is not None:
        order_plan.lines.append(
            LinePlan(
                row=raw.row,
                product=product,
                product_key=product_key,
                spec=spec,
                quantity=quantity,
                unit_price=unit_price,
                discount=discount,
                unit=product.unit if product is not None else "",
            )
        )


def _check_total(order_plan: OrderPlan) -> None:
    """The order's total (the sum of its line amounts) must fit ``Order.total_amount``:
    the row whose line takes it over the limit is in error, in its amount column."""
    rows = {row.row: row for row in order_plan.rows}
    total = Decimal("0")
    for line in order_plan.lines:
        total += line_amount(line.quantity, line.unit_price, line.discount)
        if total > MAX_TOTAL:
            rows[line.row].error(
                "amount",
                MSG_TOTAL_TOO_LARGE % {"total": f"{total:,.2f}", "limit": f"{MAX_TOTAL:,.2f}"},
            )
            return


def _check_dates(order_plan: OrderPlan, existing: Order | None) -> None:
    """The order's delivery date must not be before its order date (a database constraint).

    The dates the order will have after the import are compared — the sheet's, else the
    portal's (an update) or today (a new order without an order date) — and the error is
    given in the row and column the sheet's date is in.
    """
    header, rows = order_plan.header, order_plan.header_rows
    date_headers = {COLUMN_BY_KEY["order_date"].header, COLUMN_BY_KEY["delivery_date"].header}
    if any(column in date_headers for row in order_plan.rows for column, _m in row.errors):
        return  # a date the row could not read: that error comes first
    ordered, delivery = header.get("order_date"), header.get("delivery_date")
    order_row = rows["order_date"][0] if ordered is not None else None
    delivery_row = rows["delivery_date"][0] if delivery is not None else None
    if ordered is None:
        ordered = existing.order_date if existing is not None else timezone.localdate()
    if delivery is None and existing is not None:
        delivery = existing.requested_delivery_date
    if delivery is None or ordered is None or delivery >= ordered:
        return
    if order_row is not None and order_row == delivery_row:
        return  # both in one row: that row says so already (MSG_DELIVERY_BEFORE)
    by_row = {row.row: row for row in order_plan.rows}
    if delivery_row is not None:
        if order_row is not None:
            source = MSG_ORDER_DATE_ROW % {"row": order_row}
        elif existing is not None:
            source = MSG_ORDER_DATE_PORTAL
        else:
            source = MSG_ORDER_DATE_TODAY
        key, row_number = "delivery_date", delivery_row
    else:
        source, key, row_number = MSG_DELIVERY_DATE_PORTAL, "order_date", order_row
    by_row.get(row_number or 0, order_plan.rows[0]).error(
        key,
        MSG_DELIVERY_BEFORE_ORDER
        % {
            "delivery": f"{delivery:%Y-%m-%d}",
            "order": f"{ordered:%Y-%m-%d}",
            "source": str(source),
        },
    )


def _plan_status(order_plan: OrderPlan) -> None:
    """The status a new order will enter, said on each of its rows (see the docstring)."""
    first = order_plan.rows[0]
    recorded = order_plan.status
    if order_plan.draft and recorded and recorded != OrderStatus.DRAFT:
        first.error(
            "status",
            MSG_DRAFT_STATUS
            % {"reference": order_plan.number, "draft": status_word(OrderStatus.DRAFT)},
        )
    status = order_plan.import_status = imported_status(recorded, draft=order_plan.draft)
    review = status == OrderStatus.PENDING_REVIEW
    for row in order_plan.rows:
        row.after_status, row.review = status, review
    if review and recorded and recorded != status:
        first.notes.append(
            str(MSG_TO_REVIEW % {"recorded": status_word(recorded), "status": status_word(status)})
        )


def _plan_orders(plan: ImportPlan, lookups: Lookups) -> None:
    for number, order_plan in plan.orders.items():
        _check_total(order_plan)
        first = order_plan.rows[0]
        existing = lookups.orders.get(number)
        order_plan.existing = existing
        submitted = lookups.submitted_drafts.get(number) if order_plan.draft else None
        if submitted is not None:
            first.error(
                "number",
                MSG_DRAFT_SUBMITTED % {"reference": number, "number": submitted.number},
            )
            continue
        if existing is None:
            order_plan.action = NEW_ORDER
            first.action = NEW_ORDER
            for row in order_plan.rows[1:]:
                row.action = NEW_LINE
            _check_dates(order_plan, None)
            _plan_status(order_plan)
            continue
        for row in order_plan.rows:
            row.after_status = existing.status
        if order_plan.customer is None or existing.customer_id != order_plan.customer.pk:
            if order_plan.customer is not None or order_plan.customer_key:
                first.error(
                    "number",
                    MSG_DIFFERENT_CUSTOMER % {"number": number, "other": existing.customer.name},
                )
            continue
        # A blank cell keeps the portal's value: an export made by someone who may not
        # see phone numbers must not wipe them when it comes back.
        order_plan.header = {
            key: value
            for key, value in order_plan.header.items()
            if value not in (None, "", ("", ""))
        }
        _check_dates(order_plan, existing)
        header_changed = _header_differs(existing, order_plan.header, order_plan.customer)
        existing_lines = list(existing.lines.all())
        lines_changed = len(existing_lines) != len(order_plan.lines) or any(
            _line_differs(line, line_plan)
            for line, line_plan in zip(existing_lines, order_plan.lines, strict=False)
        )
        if order_plan.status and order_plan.status != existing.status:
            first.notes.append(str(MSG_STATUS_KEPT % {"status": existing.get_status_display()}))
        if not header_changed and not lines_changed:
            order_plan.action = UNCHANGED
            for row in order_plan.rows:
                row.action = UNCHANGED
            continue
        # Changing an order the workflow has moved on would bypass approvals and stock.
        if existing.status not in (*EDITABLE_STATUSES, OrderStatus.PENDING_REVIEW):
            first.error(
                "number",
                MSG_LOCKED_ORDER % {"number": number, "status": existing.get_status_display()},
            )
            continue
        order_plan.action = UPDATE
        line_plans = {line_plan.row: line_plan for line_plan in order_plan.lines}
        for index, row in enumerate(order_plan.rows):
            line_plan = line_plans.get(row.row)
            if index >= len(existing_lines):
                row.action = NEW_LINE
            elif (
                (index == 0 and header_changed)
                or line_plan is None
                or _line_differs(existing_lines[index], line_plan)
            ):
                row.action = UPDATE
            else:
                row.action = UNCHANGED
        if len(existing_lines) > len(order_plan.lines):
            first.notes.append(
                str(MSG_LINES_REMOVED % {"count": len(existing_lines) - len(order_plan.lines)})
            )


# --- writing ------------------------------------------------------------------------


class ProgressReporter:
    """Writes an ImportJob's progress from a second database connection.

    The import runs in one transaction; rows written there stay invisible to the
    page polling for progress until commit, so the counter goes through its own
    autocommit connection. It never touches the job row inside the transaction,
    so the two connections cannot wait on each other.
    """

    def __init__(self, job_id: int | None) -> None:
        self.job_id = job_id
        self._conn: Any = None

    def __call__(self, processed: int) -> None:
        if self.job_id is None:
            return
        try:
            if self._conn is None:
                self._conn = connections.create_connection("default")
            with self._conn.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s WHERE id = %s",  # noqa: S608
                    [processed, self.job_id],
                )
        except Exception:
            # Progress is best effort; the import itself goes on. One failure (e.g. the
            # job row held by the caller's transaction) switches reporting off.
            self.job_id = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _number_regex() -> re.Pattern[str]:
    pattern = re.escape(settings.ORDER_NUMBER_PATTERN)
    pattern = re.sub(r"\\\{year[^}]*\\\}", r"(?P<year>\\d{4})", pattern)
    pattern = re.sub(r"\\\{month[^}]*\\\}", r"(?P<month>\\d{2})", pattern)
    pattern = re.sub(r"\\\{serial[^}]*\\\}", r"(?P<serial>\\d+)", pattern)
    return re.compile(f"^{pattern}$")


def order_number_counters_bump(*, numbers: Iterable[str]) -> dict[str, int]:
    """Raise each month's counter to the highest imported serial of that month.

    Imported orders keep their numbers (e.g. 202405-007); without this, the next
    order submitted in May 2024 would be given 202405-001 … and collide.
    """
    regex = _number_regex()
    highest: dict[str, int] = {}
    for number in numbers:
        match = regex.match(number)
        if match is None:
            continue
        period = f"{match['year']}{match['month']}"
        highest[period] = max(highest.get(period, 0), int(match["serial"]))
    table = OrderNumberCounter._meta.db_table
    with connection.cursor() as cursor:
        for period, serial in sorted(highest.items()):
            cursor.execute(
                f"INSERT INTO {table} (period, last_serial) VALUES (%s, %s) "  # noqa: S608 - our table
                f"ON CONFLICT (period) DO UPDATE SET last_serial = "
                f"GREATEST({table}.last_serial, EXCLUDED.last_serial)",
                [period, serial],
            )
    return highest


def _create_missing(
    plan: ImportPlan, actor: User
) -> tuple[dict[str, Customer], dict[str, Product]]:
    customers: dict[str, Customer] = {}
    new_customers = []
    for key, missing in plan.missing_customers.items():
        customer = Customer(
            code=customer_next_code(),
            name=missing.name or missing.credit_code,
            credit_code=missing.credit_code or None,
            # The sheet does not say; region stays empty until someone fills it in.
            region="",
            industry=Industry.OTHER,
            qualification_status=QualificationStatus.PENDING,
            created_by=actor,
        )
        customers[key] = customer
        new_customers.append(customer)
    if new_customers:
        bulk_create_with_history(new_customers, Customer, batch_size=BATCH_SIZE, default_user=actor)
        contacts = []
        for key, missing in plan.missing_customers.items():
            phone = normalize_phone(missing.phone)
            if missing.contact and phone:
                is_mobile = re.match(r"^1[3-9]\d{9}$", phone) is not None
                contacts.append(
                    Contact(
                        customer=customers[key],
                        name=missing.contact[:50],
                        mobile=phone if is_mobile else "",
                        phone="" if is_mobile else phone,
                        is_primary=True,
                    )
                )
        Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)

    products: dict[str, Product] = {}
    new_products = []
    taken = set(Product.objects.filter(code__startswith="IMP-").values_list("code", flat=True))
    serial = 0
    for key, missing in plan.missing_products.items():
        serial += 1
        while f"IMP-{serial:05d}" in taken:
            serial += 1
        product = Product(
            code=f"IMP-{serial:05d}",
            name=missing.name,
            spec=missing.spec,
            list_price=missing.unit_price,
            is_active=True,
        )
        products[key] = product
        new_products.append(product)
    if new_products:
        bulk_create_with_history(new_products, Product, batch_size=BATCH_SIZE, default_user=actor)
    return customers, products


def _apply_header(order: Order, header: dict[str, Any]) -> None:
    for key, attr in HEADER_FIELDS.items():
        if key in header and not (key == "channel" and not header[key]):
            value = header[key]
            if key in ("order_date",) and value is None:
                continue
            setattr(
                order,
                attr,
                value if value is not None else ("" if key not in ("delivery_date",) else None),
            )
    if "payment" in header:
        terms, note = header["payment"]
        order.payment_terms = terms
        if terms == PaymentTerms.OTHER or not terms:
            order.payment_note = note
    if header.get("owner") is not None:
        order.owner = header["owner"]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    customers: int = 0
    products: int = 0
    numbers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "lines": self.lines,
            "customers": self.customers,
            "products": self.products,
        }


class ImportRefused(Exception):
    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


@transaction.atomic
def import_write(
    plan: ImportPlan,
    *,
    actor: User,
    create_missing: bool,
    source_name: str,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write a clean plan: all of it in one transaction, in batches, or nothing.

    Imported orders keep their numbers (a draft reference makes a draft without one); each
    enters the state :func:`imported_status` gives — the recorded one when it is final
    enough, review otherwise — through the ``order.import`` action (its predicate, the
    ``record_import`` transition from draft and its "imported" timeline row — in the batch
    form, ``orders.actions.orders.import_steps``). Counters are bumped so later submits
    never collide.
    """
    if not plan.is_clean:
        raise ImportRefused(MSG_HAS_ERRORS)
    if plan.needs_consent and not create_missing:
        raise ImportRefused(MSG_CONSENT)
    result = ImportResult()
    customers, products = _create_missing(plan, actor) if plan.needs_consent else ({}, {})
    result.customers, result.products = len(customers), len(products)
    now = timezone.now()
    note = Msg(gettext_lazy("Imported from %(file)s"), file=source_name)

    new_orders: list[Order] = []
    new_statuses: list[str] = []
    new_plans: list[OrderPlan] = []
    updated: list[tuple[Order, OrderPlan]] = []
    for order_plan in plan.orders.values():
        customer = order_plan.customer or customers[order_plan.customer_key]
        for line in order_plan.lines:
            if line.product is None:
                line.product = products[line.product_key]
                line.unit = line.product.unit
        if order_plan.action == UNCHANGED:
            result.unchanged += 1
            continue
        if order_plan.action == UPDATE and order_plan.existing is not None:
            order = order_plan.existing
            order.customer = customer
            _apply_header(order, order_plan.header)
            updated.append((order, order_plan))
            continue
        status = order_plan.import_status or imported_status(
            order_plan.status, draft=order_plan.draft
        )
        order = Order(
            number=None if order_plan.draft else order_plan.number,
            customer=customer,
            owner=actor,
            created_by=actor,
            submitted_at=now if status != OrderStatus.DRAFT else None,
        )
        _apply_header(order, order_plan.header)
        if order.order_date is None:
            order.order_date = timezone.localdate()
        new_orders.append(order)
        new_statuses.append(status)
        new_plans.append(order_plan)

    # Each new order (a draft) enters its recorded state through the transition.
    steps = import_steps(actor=actor, orders=new_orders, statuses=new_statuses, note=note)
    done = 0
    for start in range(0, len(new_orders), BATCH_SIZE):
        Order.objects.bulk_create(new_orders[start : start + BATCH_SIZE])
        done += sum(len(p.rows) for p in new_plans[start : start + BATCH_SIZE])
        if progress is not None:
            progress(done)
    result.created = len(new_orders)

    update_fields = [
        "customer",
        "contact_name",
        "contact_phone",
        "order_date",
        "requested_delivery_date",
        "payment_terms",
        "payment_note",
        "delivery_address",
        "special_requirements",
        "source_channel",
        "owner",
        "updated_at",
    ]
    if updated:
        for order, _plan in updated:
            order.updated_at = now
        Order.objects.bulk_update([o for o, _p in updated], update_fields, batch_size=BATCH_SIZE)
        OrderLine.objects.filter(order__in=[o.pk for o, _p in updated]).delete()
    result.updated = len(updated)

    lines: list[OrderLine] = []
    events: list[OrderEvent] = [order_event(step) for step in steps]
    for event in events:
        event.created_at = now
    for order, order_plan in [*zip(new_orders, new_plans, strict=True), *updated]:
        for position, line in enumerate(order_plan.lines, start=1):
            assert line.product is not None
            lines.append(
                OrderLine(
                    order=order,
                    position=position,
                    product=line.product,
                    spec=line.spec,
                    quantity=line.quantity,
                    unit=line.unit or line.product.unit,
                    unit_price=line.unit_price,
                    discount_percent=line.discount,
                )
            )
        if order_plan.action != NEW_ORDER:
            updated_text, updated_msg = message_store(
                Msg(gettext_lazy("Updated by import from %(file)s"), file=source_name)
            )
            events.append(
                OrderEvent(
                    order=order,
                    kind=OrderEventKind.EDIT,
                    action="import",
                    actor=actor,
                    note=updated_text,
                    note_msg=updated_msg,
                    created_at=now,
                )
            )
    for start in range(0, len(lines), BATCH_SIZE):
        OrderLine.objects.bulk_create(lines[start : start + BATCH_SIZE])
    OrderEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    result.lines = len(lines)

    # Totals computed by the database from the generated line amounts, one UPDATE per batch.
    touched = [o.pk for o in new_orders] + [o.pk for o, _p in updated]
    line_sum = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    for start in range(0, len(touched), BATCH_SIZE):
        Order.objects.filter(pk__in=touched[start : start + BATCH_SIZE]).update(
            total_amount=Coalesce(
                Subquery(line_sum),
                Value(Decimal("0.00")),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            )
        )
    order_number_counters_bump(numbers=[o.number for o in new_orders if o.number])
    result.numbers = [str(o) for o in new_orders]
    if progress is not None:
        progress(len(plan.rows))
    return result


def import_file(
    data: IO[bytes],
    name: str,
    *,
    actor: User,
    create_missing: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[ImportPlan, ImportResult | None]:
    """Read, validate and (if clean) write a file in one go — for tasks, scripts and tests."""
    plan = plan_import(read_sheet(data, name), actor=actor, progress=progress)
    if not plan.is_clean or (plan.needs_consent and not create_missing):
        return plan, None
    return plan, import_write(
        plan, actor=actor, create_missing=create_missing, source_name=name, progress=progress
    )


# --- import jobs (the preview page and the Celery task use these) --------------------


def import_job_create(*, actor: User, upload: Any) -> ImportJob:
    """Check an upload and keep it as a job; small files are validated at once.

    File-level problems (type, size, unreadable content, missing columns) raise
    ``ImportFileError`` / ``ValidationError`` before anything is stored.
    """
    validate_spreadsheet_upload(upload)
    upload.seek(0)
    sheet = read_sheet(upload, upload.name or "import.csv")
    job = ImportJob(
        original_name=(upload.name or "import")[-200:],
        size=upload.size or 0,
        total_rows=len(sheet.rows),
        created_by=actor,
    )
    upload.seek(0)
    job.file.save(upload.name or "import", upload, save=False)
    job.save()
    if len(sheet.rows) < ASYNC_ROWS:
        _validate(job, sheet)
    return job


def _validate(job: ImportJob, sheet: Sheet, *, report_progress: bool = False) -> ImportJob:
    reporter = ProgressReporter(job.pk if report_progress else None)
    try:
        plan = plan_import(sheet, actor=job.created_by, progress=reporter)
    finally:
        reporter.close()
    job.report = plan.as_report()
    job.total_rows = job.processed_rows = len(plan.rows)
    job.status = ImportJobStatus.READY if plan.is_clean else ImportJobStatus.INVALID
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "total_rows", "processed_rows", "status", "finished_at"])
    return job


def _open_sheet(job: ImportJob) -> Sheet:
    with job.file.open("rb") as handle:
        return read_sheet(io.BytesIO(handle.read()), job.original_name)


def _fail(job: ImportJob, message: str) -> ImportJob:
    job.status = ImportJobStatus.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """Build the preview of a job (the Celery task for big files calls this)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        return _validate(job, _open_sheet(job), report_progress=True)
    except ImportFileError as exc:
        return _fail(job, exc.message)


def import_job_run(*, job_id: int) -> ImportJob:
    """Import a previewed job: validated again against today's data, then written at once."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    # Only a task's progress is polled; a run inside a request reports nothing.
    reporter = ProgressReporter(job.pk if job.status == ImportJobStatus.IMPORTING else None)
    try:
        plan = plan_import(_open_sheet(job), actor=job.created_by)
        result = import_write(
            plan,
            actor=job.created_by,
            create_missing=job.create_missing,
            source_name=job.original_name,
            progress=reporter,
        )
    except ImportFileError as exc:
        return _fail(job, exc.message)
    except ImportRefused as exc:
        job.report = plan.as_report()
        job.status = ImportJobStatus.INVALID if not plan.is_clean else ImportJobStatus.READY
        job.error = exc.message
        job.save(update_fields=["report", "status", "error"])
        return job
    except Exception:
        _fail(job, str(MSG_IMPORT_FAILED))
        raise
    finally:
        reporter.close()
    job.status = ImportJobStatus.DONE
    job.result = result.as_dict()
    job.processed_rows = job.total_rows
    job.error = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "result", "processed_rows", "error", "finished_at"])
    return job
