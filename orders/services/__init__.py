"""Write operations of the orders app, the public functions other code calls:
``orders.services.orders`` (catalog, numbering, an order's life, status counters) and
``orders.services.quotations`` (quotations and an order's contract link). Each state
change is a thin ``perform(...)`` of an action (orders/actions/)."""
