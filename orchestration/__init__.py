"""funnel-warehouse: the Dagster code location and its CLI."""
