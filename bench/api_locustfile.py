"""100 API clients, each with its own key (BENCH_API_KEYS), as integrations work all day:
page through the order list, read orders, pull changes, read stock and products, and now
and then enter a draft. Started by bench/api.py through bench/loadtest.py."""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

KEYS = itertools.cycle(os.environ.get("BENCH_API_KEYS", "").split(","))
ORDER_IDS = [int(x) for x in os.environ.get("BENCH_ORDER_IDS", "1").split(",")]
CUSTOMER_IDS = [int(x) for x in os.environ.get("BENCH_CUSTOMER_IDS", "1").split(",")]
PRODUCT_IDS = [int(x) for x in os.environ.get("BENCH_PRODUCT_IDS", "1").split(",")]


class ApiClientUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {next(KEYS)}"
        self.cursor: str | None = None

    @task(6)
    def order_list(self) -> None:
        url = "/api/v1/orders/?limit=50" + (f"&cursor={self.cursor}" if self.cursor else "")
        with self.client.get(url, name="api orders list", catch_response=True) as response:
            if response.status_code == 200:
                self.cursor = response.json()["next_cursor"]
            else:
                response.failure(f"{response.status_code}")

    @task(6)
    def order_detail(self) -> None:
        self.client.get(f"/api/v1/orders/{random.choice(ORDER_IDS)}", name="api order")

    @task(2)
    def sync(self) -> None:
        since = (datetime.now(UTC) - timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
        self.client.get(f"/api/v1/orders/?limit=200&updated_since={since}", name="api orders sync")

    @task(2)
    def products(self) -> None:
        self.client.get("/api/v1/products/?limit=50", name="api products")

    @task(1)
    def create_draft(self) -> None:
        body = {
            "customer_id": random.choice(CUSTOMER_IDS),
            "contact_name": "张经理",
            "contact_phone": "13800138000",
            "payment_terms": "net_30",
            "lines": [
                {"product_id": random.choice(PRODUCT_IDS), "quantity": "1", "unit_price": "100.00"}
            ],
        }
        self.client.post(
            "/api/v1/orders/",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
            name="api order create",
        )
