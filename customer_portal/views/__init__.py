"""The customer's pages (token in the URL) and the staff's link panel, one module per subject."""
