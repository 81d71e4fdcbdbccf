"""Dagster assets, one module per layer: ingest, quality, transform, publish."""
