"""Hostile input through every form and import path.

Each input either gets a clear, field-level error and writes nothing, or is stored
and rendered harmlessly: escaped in HTML, literal in PDFs, neutralised in exports,
stored under a random name for uploads.  The last test counts the inputs tried.
"""

from __future__ import annotations

import csv
import io
import random
import re
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import load_workbook

from customers.models import Address, Contact, Customer, QualificationDocument
from orders.models import (
    CustomerContactLog,
    ImportJob,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Product,
)
from orders.services.orders import order_recalculate_total, order_submit
from orders.spreadsheets import imports as spreadsheet
from orders.tests.test_import_helpers import catalog, csv_bytes, sheet_row, xlsx_bytes
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.pdf import _run

pytestmark = pytest.mark.django_db

# --- the hostile inputs --------------------------------------------------------------

HTML_PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
# The part of each payload that would execute if it reached a page unescaped.
RAW_TAGS = {HTML_PAYLOADS[0]: "<script>alert(1)</script>", HTML_PAYLOADS[1]: "<img src=x"}

CUSTOMER_TEXT_FIELDS = [
    "name",
    "preferences",
    "contacts-0-name",
    "contacts-0-title",
    "addresses-0-label",
    "addresses-0-address",
]
PRODUCT_TEXT_FIELDS = ["code", "name", "spec", "unit", "description"]
ORDER_TEXT_FIELDS = [
    "contact_name",
    "payment_note",
    "delivery_address",
    "special_requirements",
    "lines-0-spec",
    "lines-0-unit",
]
REVIEW_TEXT_FIELDS = ["reason", "person", "result"]

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]
# Order entry field -> export column it lands in.
FORMULA_FIELDS = {
    "contact_name": "联系人",
    "delivery_address": "交付地址",
    "special_requirements": "备注",
    "lines-0-spec": "规格型号",
}

LONG = "长" * 10_000
LONG_CUSTOMER_FIELDS = ["name", "contacts-0-name", "addresses-0-label", "addresses-0-address"]
LONG_PRODUCT_FIELDS = ["code", "name", "spec", "unit"]
LONG_ORDER_FIELDS = [
    "contact_name",
    "payment_note",
    "delivery_address",
    "lines-0-spec",
    "lines-0-unit",
]

BAD_PRICES = ["-1", "-0.01", "1e20", "100000000000000000000", "abc", "NaN", "Infinity", "-Infinity"]
BAD_LINE_NUMBERS = [
    ("lines-0-quantity", value) for value in ["-5", "1e20", "abc", "NaN", "Infinity", "-0.5"]
]
BAD_LINE_NUMBERS += [("lines-0-unit_price", value) for value in ["-1", "1e20", "abc", "NaN"]]
BAD_LINE_NUMBERS += [
    ("lines-0-discount_percent", value) for value in ["-5", "1e20", "abc", "NaN", "101"]
]

BAD_DATES = ["2026-13-45", "yesterday", "2026/02/30", "2026-02-30", "0000-00-00", "'; DROP TABLE"]
DATE_FIELDS = ["order_date", "requested_delivery_date"]

_rng = random.Random(13)  # reproducible junk, not cryptography
BAD_IMPORT_FILES = {
    "utf16.csv": csv_bytes([sheet_row()], encoding="utf-16"),
    "utf16le.csv": csv_bytes([sheet_row()], encoding="utf-16-le"),
    "random.csv": _rng.randbytes(4096),
    "random-no-nul.csv": bytes(b or 1 for b in _rng.randbytes(4096)),
    "random.xlsx": b"PK\x03\x04" + _rng.randbytes(4096),
}

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500 + b"This program cannot be run"
RENAMED_EXECUTABLES = ["licence.pdf", "orders.xlsx", "scan.png", "photo.jpg", "orders.csv"]
TRAVERSAL_NAMES = [
    "../../etc/passwd.pdf",
    "..\\..\\boot.ini.pdf",
    "/etc/passwd.pdf",
    "....//....//etc/shadow.pdf",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd.pdf",
    "C:\\Windows\\System32\\evil.pdf",
]

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# --- helpers -------------------------------------------------------------------------

WATCHED = [
    Customer,
    Contact,
    Address,
    Product,
    Order,
    OrderLine,
    OrderEvent,
    CustomerContactLog,
    QualificationDocument,
    ImportJob,
]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in content-stream order (``-raw``), so a wrapped cell stays together."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return _run("pdftotext", "-raw", "-enc", "UTF-8", file.name, "-").decode()


def assert_literal_in_pdf(payload: str, pdf: bytes, times: int = 1) -> None:
    text = re.sub(r"\s", "", pdf_text(pdf))
    assert text.count(re.sub(r"\s", "", payload)) >= times, text


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


def assert_safe(page: str, payload: str) -> None:
    assert RAW_TAGS[payload] not in page, f"unescaped {payload!r} in the page"


def assert_refused_with_field_error(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert f'data-field-error="{field.split("-")[-1]}"' in response.content.decode()


def customer_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "新客户科技有限公司",
        "credit_code": "91350100M000100Y43",
        "region": "north",
        "industry": "it",
        "qualification_status": "pending",
        "account_manager": "",
        "credit_limit": "50000",
        "credit_term_days": "30",
        "preferences": "需定制logo",
        "is_active": "on",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "李先生",
        "contacts-0-mobile": "13800138000",
        "contacts-0-is_primary": "on",
        "addresses-TOTAL_FORMS": "1",
        "addresses-INITIAL_FORMS": "0",
        "addresses-0-label": "总部",
        "addresses-0-address": "北京市海淀区路1号",
        "addresses-0-postcode": "100080",
        "addresses-0-is_default": "on",
    }
    data.update(overrides)
    return data


def product_data(**overrides: str) -> dict[str, str]:
    data = {
        "code": "s-001",
        "name": "服务器A型",
        "spec": "S-001",
        "unit": "台",
        "list_price": "5000.00",
        "kind": "goods",
        "description": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def order_data(customer, product, **overrides: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    data: dict[str, object] = {
        "kind": "goods",
        "customer": customer.pk,
        "contact_name": "李先生",
        "contact_phone": "13800138000",
        "order_date": today.isoformat(),
        "requested_delivery_date": (today + timedelta(days=15)).isoformat(),
        "payment_terms": "other",
        "payment_note": "季度结算",
        "delivery_address": "北京市海淀区路1号",
        "delivery_postcode": "100080",
        "special_requirements": "需定制logo",
        "source_channel": "phone",
        "urgency": "normal",
        "owner": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-spec": "S-001",
        "lines-0-quantity": "10",
        "lines-0-unit": "台",
        "lines-0-unit_price": "5000.00",
        "lines-0-discount_percent": "0",
        "action": "submit",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def private_media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def assistant(role_client):  # type: ignore[no-untyped-def]
    return role_client("sales_assistant")


@pytest.fixture
def product():  # type: ignore[no-untyped-def]
    return ProductFactory(code="S-010", name="服务器A型", spec="S-001", list_price=Decimal("5000"))


# --- HTML / script in every text field: escaped wherever it is shown -------------------


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
@pytest.mark.parametrize("field", CUSTOMER_TEXT_FIELDS)
def test_html_in_customer_fields_is_escaped(assistant, field, payload):
    before = counts()
    response = assistant.post("/customers/new/", customer_data(**{field: payload}))
    if response.status_code != 302:
        assert_refused_with_field_error(response, field)
        assert_safe(response.content.decode(), payload)
        assert counts() == before
        return
    customer = Customer.objects.get()
    detail = assistant.get(f"/customers/{customer.pk}/").content.decode()
    listing = assistant.get("/customers/").content.decode()
    edit = assistant.get(f"/customers/{customer.pk}/edit/").content.decode()
    for page in (detail, listing, edit):
        assert_safe(page, payload)
    assert escape(payload) in detail + edit


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
@pytest.mark.parametrize("field", PRODUCT_TEXT_FIELDS)
def test_html_in_product_fields_is_escaped(role_client, field, payload):
    client = role_client("sales_manager")
    before = counts()
    response = client.post("/catalog/new/", product_data(**{field: payload}))
    if response.status_code != 302:
        assert_refused_with_field_error(response, field)
        assert_safe(response.content.decode(), payload)
        assert counts() == before
        return
    product = Product.objects.get()
    detail = client.get(f"/catalog/{product.pk}/").content.decode()
    listing = client.get("/catalog/").content.decode()
    for page in (detail, listing):
        assert_safe(page, payload)
    assert escape(payload).upper() in detail.upper()


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
@pytest.mark.parametrize("field", ORDER_TEXT_FIELDS)
def test_html_in_order_fields_is_escaped_in_pages_and_literal_in_the_pdf(
    assistant, product, field, payload
):
    customer = CustomerFactory()
    before = counts()
    response = assistant.post("/orders/new/", order_data(customer, product, **{field: payload}))
    if response.status_code != 302:
        assert_refused_with_field_error(response, field)
        assert_safe(response.content.decode(), payload)
        assert counts() == before
        return
    order = Order.objects.get()
    detail = assistant.get(f"/orders/{order.pk}/").content.decode()
    listing = assistant.get("/orders/").content.decode()
    review = assistant.get(reverse("orders:review_form", args=[order.pk])).content.decode()
    for page in (detail, listing, review):
        assert_safe(page, payload)
    assert escape(payload) in detail + review
    pdf = assistant.get(reverse("orders:review_form_pdf", args=[order.pk]))
    assert pdf.status_code == 200
    assert_literal_in_pdf(payload, pdf.content)


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
def test_html_in_customer_and_product_names_is_literal_in_the_review_pdf(
    role_client, make_user, payload
):
    owner = make_user("sales_assistant")
    order = OrderFactory(
        customer=CustomerFactory(name=payload),
        owner=owner,
        created_by=owner,
        number="202611-001",
        status=OrderStatus.PENDING_REVIEW,
    )
    OrderLineFactory(order=order, product=ProductFactory(name=payload, spec=payload))
    order_recalculate_total(order=order)
    client = role_client("sales_manager")
    html = client.get(reverse("orders:review_form", args=[order.pk])).content.decode()
    assert_safe(html, payload)
    assert escape(payload) in html
    pdf = client.get(reverse("orders:review_form_pdf", args=[order.pk])).content
    assert_literal_in_pdf(payload, pdf, times=3)  # customer name, product name, spec


@pytest.fixture
def submitted(make_user):  # type: ignore[no-untyped-def]
    creator = make_user("sales_assistant")
    order = OrderFactory(owner=creator, created_by=creator)
    OrderLineFactory(order=order, product=ProductFactory(list_price=Decimal("5000")))
    order_recalculate_total(order=order)
    order = order_submit(actor=creator, order=order)
    order.creator = creator
    return order


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
@pytest.mark.parametrize("field", REVIEW_TEXT_FIELDS)
def test_html_in_review_reason_and_contact_log_is_escaped(
    client, make_user, submitted, field, payload
):
    reviewer = make_user("sales_assistant")
    client.force_login(reviewer)
    reason = payload if field == "reason" else "交付日期不明确"
    assert (
        client.post(f"/orders/{submitted.pk}/request-info/", {"reason": reason}).status_code == 302
    )
    client.force_login(submitted.creator)
    contact = {"channel": "phone", "person": "李先生", "result": "已确认"}
    if field != "reason":
        contact[field] = payload
    response = client.post(f"/orders/{submitted.pk}/log-contact/", contact)
    assert response.status_code == 302
    assert submitted.contacts.count() == 1
    client.force_login(make_user("sales_manager"))
    detail = client.get(f"/orders/{submitted.pk}/").content.decode()
    review = client.get(reverse("orders:review_form", args=[submitted.pk])).content.decode()
    for page in (detail, review):
        assert_safe(page, payload)
    assert escape(payload) in detail
    if field != "reason":
        assert escape(payload) in review
        pdf = client.get(reverse("orders:review_form_pdf", args=[submitted.pk])).content
        assert_literal_in_pdf(payload, pdf)


# --- formula cells come out neutralised in the export ---------------------------------


def _xlsx_rows(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("payload", FORMULAS)
def test_formula_text_entered_through_the_forms_is_neutralised_in_the_export(
    assistant, product, payload
):
    customer = CustomerFactory(name=payload)
    fields = dict.fromkeys(FORMULA_FIELDS, payload)
    response = assistant.post("/orders/new/", order_data(customer, product, **fields))
    assert response.status_code == 302, response.content.decode()[:500]
    headers = [column.header for column in spreadsheet.COLUMNS]
    columns = [*FORMULA_FIELDS.values(), "客户名称"]

    content = assistant.get(reverse("orders:export"), {"format": "xlsx"}).content
    row = dict(zip(headers, _xlsx_rows(content)[1], strict=True))
    for column in columns:
        assert row[column] == "'" + payload, (column, row[column])
    workbook = load_workbook(io.BytesIO(content))
    assert all(cell.data_type != "f" for r in workbook.worksheets[0].iter_rows() for cell in r)

    raw = assistant.get(reverse("orders:export"), {"format": "csv"}).content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    row = dict(zip(headers, rows[1], strict=True))
    for column in columns:
        assert row[column] == "'" + payload, (column, row[column])


# --- over-long strings: a field error, nothing written --------------------------------


@pytest.mark.parametrize("field", LONG_CUSTOMER_FIELDS)
def test_overlong_customer_field_is_refused(assistant, field):
    before = counts()
    response = assistant.post("/customers/new/", customer_data(**{field: LONG}))
    assert_refused_with_field_error(response, field)
    assert counts() == before


@pytest.mark.parametrize("field", LONG_PRODUCT_FIELDS)
def test_overlong_product_field_is_refused(role_client, field):
    before = counts()
    response = role_client("sales_manager").post("/catalog/new/", product_data(**{field: LONG}))
    assert_refused_with_field_error(response, field)
    assert counts() == before


@pytest.mark.parametrize("field", LONG_ORDER_FIELDS)
def test_overlong_order_field_is_refused(assistant, product, field):
    customer = CustomerFactory()
    before = counts()
    response = assistant.post("/orders/new/", order_data(customer, product, **{field: LONG}))
    assert_refused_with_field_error(response, field)
    assert counts() == before


def test_overlong_contact_log_person_is_refused(client, make_user, submitted):
    client.force_login(make_user("sales_assistant"))
    client.post(f"/orders/{submitted.pk}/request-info/", {"reason": "规格不清"})
    client.force_login(submitted.creator)
    before = counts()
    response = client.post(
        f"/orders/{submitted.pk}/log-contact/",
        {"channel": "phone", "person": LONG, "result": "x"},
        follow=True,
    )
    with translation.override("zh-hans"):
        message = gettext("The contact was not logged: fill in channel, person and result.")
    assert message in response.content.decode()
    assert counts() == before


# --- bad numbers and dates: field errors, nothing written ------------------------------


@pytest.mark.parametrize("value", BAD_PRICES)
def test_bad_product_price_is_refused(role_client, value):
    before = counts()
    response = role_client("sales_manager").post("/catalog/new/", product_data(list_price=value))
    assert_refused_with_field_error(response, "list_price")
    assert counts() == before


@pytest.mark.parametrize(("field", "value"), BAD_LINE_NUMBERS)
def test_bad_order_line_number_is_refused(assistant, product, field, value):
    customer = CustomerFactory()
    before = counts()
    response = assistant.post("/orders/new/", order_data(customer, product, **{field: value}))
    assert_refused_with_field_error(response, field)
    assert counts() == before


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("field", DATE_FIELDS)
def test_malformed_order_date_is_refused(assistant, product, field, value):
    customer = CustomerFactory()
    before = counts()
    response = assistant.post("/orders/new/", order_data(customer, product, **{field: value}))
    assert_refused_with_field_error(response, field)
    assert counts() == before


# --- import: wrong encodings, renamed executables, over-size --------------------------


def _import_errors(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    errors = response.context["form"].errors.get("file")
    assert errors, "the import gave no file error"
    page = response.content.decode()
    assert "is-invalid" in page
    return " ".join(errors)


@pytest.mark.parametrize("name", list(BAD_IMPORT_FILES))
def test_import_of_wrongly_encoded_or_random_bytes_is_refused(role_client, name):
    catalog()
    client = role_client("data_admin")
    before = counts()
    response = client.post(
        reverse("orders:import"), {"file": SimpleUploadedFile(name, BAD_IMPORT_FILES[name])}
    )
    _import_errors(response)
    assert counts() == before


@pytest.mark.parametrize("name", RENAMED_EXECUTABLES)
def test_renamed_executable_is_refused_by_the_import(role_client, name):
    client = role_client("data_admin")
    before = counts()
    response = client.post(reverse("orders:import"), {"file": SimpleUploadedFile(name, EXECUTABLE)})
    _import_errors(response)
    assert counts() == before


@pytest.mark.parametrize("name", ["orders.xlsx", "orders.csv"])
def test_oversize_import_is_refused(role_client, monkeypatch, settings, name):
    catalog()
    monkeypatch.setattr(spreadsheet, "MAX_BYTES", 1024)
    settings.UPLOAD_MAX_BYTES = 1024
    rows = [sheet_row(f"202405-{i:03d}") for i in range(1, 60)]
    data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    assert len(data) > 1024
    client = role_client("data_admin")
    before = counts()
    response = client.post(reverse("orders:import"), {"file": SimpleUploadedFile(name, data)})
    _import_errors(response)
    assert response.context["form"].errors.as_data()["file"][0].code == "too_large"
    assert counts() == before


# --- document upload: renamed executables, over-size, path traversal ------------------


def _upload(client, customer, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        f"/customers/{customer.pk}/documents/",
        {"kind": "business_licence", "file": SimpleUploadedFile(name, content), "valid_until": ""},
        follow=True,
    )


@pytest.mark.parametrize("name", RENAMED_EXECUTABLES)
def test_renamed_executable_is_refused_by_the_document_upload(assistant, private_media, name):
    customer = CustomerFactory()
    before = counts()
    page = _upload(assistant, customer, name, EXECUTABLE).content.decode()
    assert "可能是其他类型的文件改名而来" in page or "仅接受 PDF、JPEG、PNG 格式的文件" in page
    assert counts() == before
    assert not (private_media.exists() and any(p.is_file() for p in private_media.rglob("*")))


def test_oversize_document_is_refused(assistant, settings, private_media):
    settings.UPLOAD_MAX_BYTES = 1024
    customer = CustomerFactory()
    before = counts()
    page = _upload(assistant, customer, "big.pdf", PDF_BYTES + b"0" * 4096).content.decode()
    assert "超过上限" in page
    assert counts() == before
    assert not (private_media.exists() and any(p.is_file() for p in private_media.rglob("*")))


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_path_traversal_names_are_stored_under_a_random_name_inside_media_root(
    assistant, private_media, name
):
    customer = CustomerFactory()
    response = _upload(assistant, customer, name, PDF_BYTES)
    assert response.status_code == 200
    document = QualificationDocument.objects.get()
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(private_media.resolve())
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.name), stored.name
    assert ".." not in document.file.name and "\\" not in document.file.name
    assert "/" not in document.original_name and "\\" not in document.original_name
    assert document.original_name.endswith(".pdf")
    files = [p for p in private_media.resolve().rglob("*") if p.is_file()]
    assert files == [stored]


# --- the count -----------------------------------------------------------------------


def hostile_inputs_tried() -> int:
    return (
        len(CUSTOMER_TEXT_FIELDS) * len(HTML_PAYLOADS)
        + len(PRODUCT_TEXT_FIELDS) * len(HTML_PAYLOADS)
        + len(ORDER_TEXT_FIELDS) * len(HTML_PAYLOADS)
        + len(HTML_PAYLOADS) * 3  # customer name, product name, product spec in the PDF
        + len(REVIEW_TEXT_FIELDS) * len(HTML_PAYLOADS)
        + len(FORMULAS) * (len(FORMULA_FIELDS) + 1)  # + the customer name
        + len(LONG_CUSTOMER_FIELDS)
        + len(LONG_PRODUCT_FIELDS)
        + len(LONG_ORDER_FIELDS)
        + 1  # the contact log person
        + len(BAD_PRICES)
        + len(BAD_LINE_NUMBERS)
        + len(BAD_DATES) * len(DATE_FIELDS)
        + len(BAD_IMPORT_FILES)
        + len(RENAMED_EXECUTABLES) * 2  # import and document upload
        + 2  # over-size imports
        + 1  # over-size document
        + len(TRAVERSAL_NAMES)
    )


def test_at_least_sixty_hostile_inputs_were_tried():
    n = hostile_inputs_tried()
    print(f"hostile inputs tried: {n}")
    assert n >= 60
