"""Publishing: the BI-facing outputs of a build (DuckDB file now; Parquet, Postgres, report later)."""
