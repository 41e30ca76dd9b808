"""Forms of the orders app's pages: ``catalog`` (products), ``orders`` (entry, review,
approval, changes) and ``quotations``."""
