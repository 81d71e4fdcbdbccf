"""Publishing: the BI-facing outputs of a build — the read-only DuckDB file, Parquet, the optional
Postgres copy and the HTML report live in ``orchestration/report``. See docs/publish.md."""
