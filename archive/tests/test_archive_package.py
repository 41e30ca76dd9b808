"""The month's archive package: xlsx of orders and lines plus each order's PDFs, zipped."""

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from archive.models import ArchivePackage
from orders.models import Order, OrderLine
from orders.services.orders import order_recalculate_total
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.pdf import pdf_text


def test_package_holds_the_months_orders_as_xlsx_and_pdfs(
    client, make_user, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from archive.packages import package_build
    from config.celery import app
    from core.outbox import outbox_deliver

    # The outbox hands the build to Celery; here it runs in-process (no broker needed).
    monkeypatch.setattr(app, "send_task", lambda name, args: package_build(package_id=args[0]))
    customer = CustomerFactory(name="新客户科技有限公司")
    for n in (1, 2):
        order = OrderFactory(
            customer=customer,
            status="completed",
            number=f"202610-00{n}",
            order_date=date(2026, 10, 10 + n),
        )
        OrderLine.objects.create(
            order=order,
            product=ProductFactory(name=f"服务器{n}型"),
            quantity=2,
            unit_price=Decimal("1000"),
        )
        order_recalculate_total(order=order)
    Order.objects.update(status="archived")
    OrderFactory(status="completed", number="202611-001", order_date=date(2026, 11, 1))

    admin = make_user("data_admin")
    client.force_login(admin)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/reports/archive/packages/new/", {"month": "2026-10"})
    outbox_deliver()
    assert response.status_code == 302
    package = ArchivePackage.objects.get()
    assert (package.status, package.total, package.done) == ("done", 2, 2)

    download = client.get(f"/reports/archive/packages/{package.pk}/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = sorted(archive.namelist())
    assert names[0] == "2026-10-订单.xlsx"
    assert "202610-001/订单确认单-202610-001.pdf" in names and len(names) == 5
    sheet = load_workbook(io.BytesIO(archive.read(names[0]))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "202610-001",
        "202610-002",
    ]
    assert "新客户科技有限公司" in pdf_text(archive.read("202610-001/订单确认单-202610-001.pdf"))

    fragment = client.get("/reports/archive/packages/").content.decode()
    assert 'data-status="done"' in fragment and "hx-trigger" not in fragment
    client.force_login(make_user("sales_manager"))
    assert client.get(f"/reports/archive/packages/{package.pk}/").status_code == 403


@pytest.mark.django_db(transaction=True)  # real commits: the outbox delivers after one
def test_a_broker_that_is_down_delays_the_package_and_loses_nothing(
    client, make_user, monkeypatch, settings, tmp_path
):
    """The build request waits in the outbox while the broker is down and is handed over,
    once, when it is back; the page never shows an error the user can do nothing about."""
    from kombu.exceptions import OperationalError

    from archive.packages import package_build
    from config.celery import app
    from core.models import OutboxMessage
    from core.outbox import outbox_deliver

    settings.MEDIA_ROOT = tmp_path
    settings.OUTBOX_KICK = False

    def down(name: str, args: list[int], **kw: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", down)
    client.force_login(make_user("data_admin"))
    response = client.post("/reports/archive/packages/new/", {"month": "2026-10"})
    assert response.status_code == 302
    page = client.get(response.url)
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    package = ArchivePackage.objects.get()
    assert outbox_deliver() == 0
    message = OutboxMessage.objects.get(key=f"archive-package:{package.pk}")
    assert message.attempts == 1 and "Connection refused" in message.last_error
    package.refresh_from_db()
    assert package.status == "pending"

    built: list[int] = []

    def up(name: str, args: list[int], **kw: object) -> None:
        built.append(args[0])
        package_build(package_id=args[0])

    monkeypatch.setattr(app, "send_task", up)
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_RETRY_DELAY + 1)
    assert outbox_deliver(now=later) == 1
    assert outbox_deliver(now=later + timedelta(hours=1)) == 0
    package.refresh_from_db()
    assert (built, package.status) == ([package.pk], "done")
