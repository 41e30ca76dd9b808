"""The orders app's models, one module per subject; import them from here.

* ``catalog`` — the products orders and quotations are made of;
* ``orders`` — the order, its lines, timeline, numbering, status counters, contact
  logs, attachments, the approval policy and changes after confirmation;
* ``imports`` — spreadsheet import jobs;
* ``quotations`` — quotations, their lines and approval record.

Every model keeps the app label "orders" and its table.
"""

from orders.models.catalog import Product, ProductKind
from orders.models.imports import ImportJob, ImportJobStatus
from orders.models.orders import (
    CANCELLABLE_STATUSES,
    CHANGEABLE_STATUSES,
    EDITABLE_STATUSES,
    STATUS_COLORS,
    ApprovalPolicy,
    ContactChannel,
    CustomerContactLog,
    Order,
    OrderArchivedError,
    OrderAttachment,
    OrderChange,
    OrderChangeStatus,
    OrderEvent,
    OrderEventKind,
    OrderKind,
    OrderLine,
    OrderNumberCounter,
    OrderQuerySet,
    OrderStatus,
    OrderStatusCount,
    PaymentTerms,
    PricedLine,
    SourceChannel,
    Urgency,
)
from orders.models.quotations import (
    QUOTATION_ACTION_LABELS,
    QUOTATION_STATUS_COLORS,
    Quotation,
    QuotationEvent,
    QuotationLine,
    QuotationStatus,
)

__all__ = [
    "CANCELLABLE_STATUSES",
    "CHANGEABLE_STATUSES",
    "EDITABLE_STATUSES",
    "QUOTATION_ACTION_LABELS",
    "QUOTATION_STATUS_COLORS",
    "STATUS_COLORS",
    "ApprovalPolicy",
    "ContactChannel",
    "CustomerContactLog",
    "ImportJob",
    "ImportJobStatus",
    "Order",
    "OrderArchivedError",
    "OrderAttachment",
    "OrderChange",
    "OrderChangeStatus",
    "OrderEvent",
    "OrderEventKind",
    "OrderKind",
    "OrderLine",
    "OrderNumberCounter",
    "OrderQuerySet",
    "OrderStatus",
    "OrderStatusCount",
    "PaymentTerms",
    "PricedLine",
    "Product",
    "ProductKind",
    "Quotation",
    "QuotationEvent",
    "QuotationLine",
    "QuotationStatus",
    "SourceChannel",
    "Urgency",
]
