"""Print the current customer link of an order (for support and tests).

    python manage.py customer_link ORDER_NUMBER [--contact ID]

Prints the newest valid link of the order (of ``--contact`` if given); with none, says so
and exits 1 (links are made by sending them: the order page's 发送客户链接).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customer_portal.models import CustomerLink
from orders.models import Order


class Command(BaseCommand):
    help = "Print the current customer link of an order."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("order_number")
        parser.add_argument("--contact", type=int, default=None, help="the contact's id")

    def handle(self, *args: Any, **options: Any) -> None:
        order = Order.objects.filter(number=options["order_number"]).first()
        if order is None:
            raise CommandError(f"no order {options['order_number']!r}")
        links = CustomerLink.objects.valid().filter(order=order).select_related("contact")
        if options["contact"] is not None:
            links = links.filter(contact_id=options["contact"])
        link = links.first()
        if link is None:
            raise CommandError("no valid customer link for this order (send one first)")
        self.stdout.write(link.absolute_url())
