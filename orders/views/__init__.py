"""Pages of the orders app, one module per area: ``catalog``, ``orders`` (entry and
review), ``approvals``, ``lists``, ``imports`` (import and exports), ``documents``
(printable forms) and ``quotations``."""
