"""Who may do what in the orders app, as ``rules`` predicates: ``orders.predicates.orders``
(over ``(user, order)``) and ``orders.predicates.quotations`` (over ``(user, quotation)``)."""
