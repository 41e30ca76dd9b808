"""Routes of the orders app: ``catalog`` (namespace "catalog", under /catalog/) and
``orders`` (namespace "orders", under /orders/), which appends ``imports`` and
``quotations``."""
