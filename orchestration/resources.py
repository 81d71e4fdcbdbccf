"""Dagster resources: where the files are and how to open the warehouse.

Every DuckDB writer goes through :class:`WarehouseResource` and runs in the ``duckdb_writer`` pool,
so two steps never hold the single-writer file at once.
"""

from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.settings import Settings
from orchestration.warehouse import connect

WRITER_POOL = "duckdb_writer"


class WarehouseResource(dg.ConfigurableResource):
    """The private warehouse file (raw data, quarantine, manifest, dbt models)."""

    path: str
    memory_limit: str = "3GB"
    threads: int = 2

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(Path(self.path), memory_limit=self.memory_limit, threads=self.threads)
        try:
            yield con
        finally:
            con.close()


class LandingResource(dg.ConfigurableResource):
    """The folder where exports are dropped."""

    path: str


class PublishResource(dg.ConfigurableResource):
    """Where BI-facing outputs are published, and how many old versions to keep for rollback."""

    out_dir: str
    keep_versions: int = 7


def resources_from(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    from orchestration.transform.dbt_cli import FunnelDbtCliResource
    from orchestration.transform.project import DBT_PROJECT, dbt_executable

    settings.export_env()
    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse), memory_limit=settings.duckdb_memory_limit,
                                       threads=settings.duckdb_threads),
        "landing": LandingResource(path=str(settings.landing_dir)),
        "publisher": PublishResource(out_dir=str(settings.out_dir), keep_versions=settings.keep_versions),
        "dbt": FunnelDbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT.project_dir),
                                   dbt_executable=dbt_executable()),
    }
