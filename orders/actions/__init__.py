"""The orders app's actions (docs/architecture.md, "The action engine"):
``orders.actions.orders`` (an order's life) and ``orders.actions.quotations``
(quotations and an order's contract link). Importing a module declares its actions;
``OrdersConfig.ready()`` imports both."""
