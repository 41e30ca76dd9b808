"""Domain errors of the orders app (subclasses of core.errors) and the messages users
read: ``orders.exceptions.orders`` and ``orders.exceptions.quotations``."""
