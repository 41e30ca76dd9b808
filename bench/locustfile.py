"""The daily mix of 50 users against gunicorn on loopback (issue 12).

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

from locust import HttpUser, between, task

PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-pass-123")
MAX_ORDER_ID = int(os.environ.get("BENCH_MAX_ORDER_ID", "1000"))
SEARCH_TERMS = os.environ.get("BENCH_SEARCH_TERMS", "2025,客户1,电机").split(",")
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
        pk = random.randint(max(1, MAX_ORDER_ID - 50_000), MAX_ORDER_ID)
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
