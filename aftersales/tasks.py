"""After-sales has no periodic work of its own: its deadlines (24-hour response,
promised resolution, 3-working-day follow-up) are SlaClocks, warned, breached and
escalated by core's scanner task ``core.scan_sla_clocks`` (docs/architecture.md, §5)."""
