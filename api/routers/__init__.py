"""The routers of /api/v1/, one module per resource (docs/api.md, "Add a router").

To add a resource:

1. write ``api/routers/<name>.py`` with ``router = Router(tags=["<Name>"])`` and its
   operations (see api/routers/orders.py): schemas from :mod:`api.schemas`, ``response=``
   built with :func:`api.problems.responses` so every error status is documented, writes
   through the apps' services (each a ``perform(...)``), never a business rule here;
2. add one line ``("/<prefix>", "api.routers.<name>")`` to :data:`ROUTERS` below.

api/main.py mounts them in this order on the one NinjaAPI. Authentication (the client's
key), the rate limit, the write transaction, ``Idempotency-Key`` and the call log are
done for every operation by api/gateway.py; a router only checks scopes
(:func:`api.auth.require_scope`) and ``If-Match`` (:mod:`api.concurrency`).
"""

from __future__ import annotations

ROUTERS: list[tuple[str, str]] = [
    ("/customers", "api.routers.customers"),
    ("/products", "api.routers.products"),
    ("/orders", "api.routers.orders"),
    ("/stock", "api.routers.stock"),
    ("/shipments", "api.routers.shipments"),
    ("/shipments", "api.routers.tracking"),  # carriers' tracking events
    ("/tickets", "api.routers.tickets"),
    ("/payments", "api.routers.payments"),
    # Webhooks, ERP / MES exchange, settlement statements.
    ("/finance", "api.routers.finance"),
    ("/integrations", "api.routers.integrations"),
]
