"""The customer's steps and the staff's link steps, one module per subject (docs/architecture.md §4c)."""
