"""The order spreadsheet: the old sheet's columns (``columns``), the import with its
preview and jobs (``imports``) and the export of orders and products (``exports``)."""
