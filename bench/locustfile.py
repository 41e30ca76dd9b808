"""The daily mix of 50 users against gunicorn on loopback.

Started by bench/loadtest.py (``make bench``), or by hand::

    locust -f bench/locustfile.py --headless -u 50 -r 10 -t 2m --host http://127.0.0.1:8765

Users log in as the bench users of bench/generate.py (password BENCH_PASSWORD)
and then do what their role does all day: lists, tabs, searches, order pages,
"my work", the approval inbox, the warehouse page.
"""

from __future__ import annotations

import os
import random
import re
from datetime import date, timedelta

from locust import HttpUser, between, task

PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-pass-123")
# Ids of existing orders among the newest 50,000 (ids have gaps: rolled-back inserts).
ORDER_IDS = [int(x) for x in os.environ.get("BENCH_ORDER_IDS", "1").split(",")]
SEARCH_TERMS = os.environ.get("BENCH_SEARCH_TERMS", "2025,客户1,电机").split(",")
# Customers and products a new order may use (bench/loadtest.py picks them from the data).
CUSTOMER_IDS = [int(x) for x in os.environ.get("BENCH_CUSTOMER_IDS", "1").split(",")]
PRODUCT_IDS = [int(x) for x in os.environ.get("BENCH_PRODUCT_IDS", "1").split(",")]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = "sales_manager"
    count = 1

    def on_start(self) -> None:
        username = f"bench_{self.role}_{random.randint(1, self.count)}"
        page = self.client.get("/accounts/login/", name="login form")
        match = CSRF.search(page.text)
        token = match.group(1) if match else ""
        with self.client.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
            catch_response=True,
        ) as response:
            if "sessionid" not in self.client.cookies:
                response.failure(f"login of {username} failed")

    def order_page(self) -> None:
        pk = random.choice(ORDER_IDS)
        self.client.get(f"/orders/{pk}/", name="/orders/[id]/")


class SalesManager(PortalUser):
    role, count, weight = "sales_manager", 3, 2

    @task(5)
    def order_list(self) -> None:
        self.client.get("/orders/", name="/orders/")

    @task(2)
    def status_tab(self) -> None:
        status = random.choice(["pending_review", "pending_approval", "rejected"])
        self.client.get(f"/orders/?status={status}", name="/orders/?status=")

    @task(3)
    def detail(self) -> None:
        self.order_page()

    @task(2)
    def approvals(self) -> None:
        self.client.get("/orders/approvals/", name="/orders/approvals/")

    @task(1)
    def my_work(self) -> None:
        self.client.get("/my-work/", name="/my-work/")


class SalesAssistant(PortalUser):
    role, count, weight = "sales_assistant", 30, 5

    @task(4)
    def order_list(self) -> None:
        self.client.get("/orders/", name="/orders/")

    @task(2)
    def search(self) -> None:
        term = random.choice(SEARCH_TERMS)
        self.client.get("/orders/", params={"q": term}, name="/orders/?q=")

    @task(4)
    def detail(self) -> None:
        self.order_page()

    @task(2)
    def my_work(self) -> None:
        self.client.get("/my-work/", name="/my-work/")

    @task(1)
    def enter_order(self) -> None:
        """Enter an order of two lines and submit it for review (numbering, clock, notices)."""
        form = self.client.get("/orders/new/", name="/orders/new/")
        match = CSRF.search(form.text)
        today = date.today()
        data = {
            "csrfmiddlewaretoken": match.group(1) if match else "",
            "kind": "goods",
            "customer": random.choice(CUSTOMER_IDS),
            "contact_name": "压测联系人",
            "contact_phone": "13800138000",
            "order_date": today.isoformat(),
            "requested_delivery_date": (today + timedelta(days=20)).isoformat(),
            "payment_terms": "deposit_30",
            "delivery_address": "上海市浦东新区测试路1号",
            "delivery_postcode": "200120",
            "source_channel": "phone",
            "urgency": "normal",
            "owner": "",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "action": "submit",
        }
        for n, product in enumerate(random.sample(PRODUCT_IDS, 2)):
            data |= {
                f"lines-{n}-product": product,
                f"lines-{n}-quantity": str(random.randint(1, 20)),
                f"lines-{n}-unit": "台",
                f"lines-{n}-unit_price": f"{random.randint(100, 2000)}.00",
                f"lines-{n}-discount_percent": "0",
            }
        with self.client.post(
            "/orders/new/",
            data=data,
            headers={"Referer": f"{self.host}/orders/new/"},
            name="/orders/new/ (submit)",
            catch_response=True,
        ) as response:
            # Success redirects to the new order's page; a form shown again is a failure.
            if response.url.rstrip("/").endswith("/orders/new"):
                response.failure("the order form came back: " + response.text[:200])


class Warehouse(PortalUser):
    role, count, weight = "warehouse", 5, 2

    @task(3)
    def warehouse_page(self) -> None:
        self.client.get("/fulfillment/warehouse/", name="/fulfillment/warehouse/")

    @task(2)
    def detail(self) -> None:
        self.order_page()

    @task(1)
    def my_work(self) -> None:
        self.client.get("/my-work/", name="/my-work/")
