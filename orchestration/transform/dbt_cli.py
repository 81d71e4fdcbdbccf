"""The dbt CLI resource, without the two start-up costs we never use.

Before each ``dbt build``, dagster-dbt's ``DbtCliResource.cli()`` runs ``dbt --version`` in a
subprocess (once per resource) and builds a dbt adapter in this process (every invocation). The
adapter only serves dagster-dbt's optional row-count and column-metadata fetches; we report row
counts ourselves (orchestration/transform/metadata.py), and our dbt is the one installed in this
very environment, so its version is the installed dbt-core's. On 2 cores those two steps cost
~2.5 s (``dbt --version``: a Python start-up that imports dbt) + ~1.5 s per invocation, in every
build (bench: docs/benchmarks.md). tests/test_dbt_cli.py checks the version against the executable.
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class FunnelDbtCliResource(DbtCliResource):
    """``DbtCliResource`` for the dbt of this environment: no version subprocess, no adapter handle."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - signature of the parent
        return None
