"""SLA and contract reports. `reports.aggregate` is the pure core: no Django, no database."""
