"""``funnel``: generate sample exports, build the warehouse, roll back, inspect.

The stable contract BI dashboards rely on: ``funnel build --landing DIR --out DIR`` publishes
``<out>/funnel.duckdb`` with the marts in schema ``marts`` and exits non-zero, with a message that
names the file, the check and the count, when a critical check fails.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(help="funnel-warehouse: sales-funnel exports → validated, BI-ready marts.", no_args_is_help=True,
                  add_completion=False)
console = Console()
err = Console(stderr=True)


def _settings(landing: Optional[Path], out: Optional[Path]):
    from orchestration.settings import SettingsError, load_settings

    try:
        return load_settings(landing_dir=landing, out_dir=out)
    except SettingsError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2)


@app.command()
def generate(
    out: Path = typer.Option(Path("demo/landing"), "--out", help="Landing folder to write the exports into."),
    leads: int = typer.Option(10_000, help="Number of leads (scales to millions; streamed, not held in memory)."),
    seed: int = typer.Option(42, help="Random seed: the same seed writes the same bytes."),
    start: str = typer.Option("2026-01-01", help="First day of generated activity (YYYY-MM-DD)."),
    months: int = typer.Option(6, help="Months of activity."),
    scenario: str = typer.Option("default", help="Planted-truth scenario."),
):
    """Write realistic sample exports (Salesforce, Tally forms, Google Ads) and their planted truth."""
    from orchestration.generate import generate as run_generate

    with console.status(f"generating {leads:,} leads into {out} …"):
        truth = run_generate(out, leads=leads, seed=seed, start=date.fromisoformat(start), months=months, scenario=scenario)
    console.print(f"[green]wrote[/green] sample exports to {out} (planted truth: {out / '.truth' / 'planted_truth.json'})")
    return truth


@app.command()
def build(
    landing: Path = typer.Option(..., "--landing", help="Folder holding the exports to ingest."),
    out: Path = typer.Option(..., "--out", help="Folder to publish funnel.duckdb into."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show Dagster's full event log (every "
                                 "step's start, output and end; errors with stack traces)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild dbt's incremental models from "
                                      "every raw row (after changing mappings, seeds or the models)."),
):
    """Ingest every export in LANDING, validate, build the marts and publish OUT/funnel.duckdb."""
    settings = _landing_settings(landing, out)
    outcome = _run(settings, verbose=verbose, full_refresh=full_refresh)
    if not outcome.success:
        raise typer.Exit(1)


@app.command()
def backfill(
    landing: Path = typer.Option(..., "--landing", help="Folder holding the exports to ingest."),
    out: Path = typer.Option(..., "--out", help="Folder to publish funnel.duckdb into."),
    date_from: str = typer.Option(..., "--from", help="First event date to recompute (YYYY-MM-DD)."),
    date_to: str = typer.Option(..., "--to", help="Last event date to recompute (YYYY-MM-DD), inclusive."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show Dagster's full event log."),
):
    """Run the build, recomputing every incremental row dated FROM..TO, not only the lookback window.

    For changes that reach further back than the nightly lookback: a corrected fx rate or campaign
    mapping for an old month, late rows older than the window. New files in LANDING are ingested as
    on any night.
    """
    from orchestration.assets.transform import validate_backfill_range

    try:
        validate_backfill_range(date_from, date_to)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2)
    settings = _landing_settings(landing, out)
    outcome = _run(settings, verbose=verbose, backfill=(date_from, date_to))
    if not outcome.success:
        raise typer.Exit(1)


def _landing_settings(landing: Path, out: Path):
    settings = _settings(landing, out)
    if not settings.landing_dir.is_dir():
        err.print(f"[red]error:[/red] landing folder {escape(str(settings.landing_dir))} does not exist")
        raise typer.Exit(2)
    return settings


def _run(settings, verbose: bool = False, full_refresh: bool = False, backfill: tuple[str, str] | None = None):
    """Run the build and print what happened for a person.

    Every failure is printed once, from the outcome: the file, the check, the count. Dagster's
    own console log (which repeats each failure with a stack trace) is shown only with
    ``--verbose``. Text from files (names, values) is printed literally, never as Rich markup:
    a file called ``x[/].csv`` must not crash the message that names it.
    """
    from orchestration.build import run_build
    from orchestration.lock import BuildAlreadyRunning

    try:
        with console.status("building: ingest → validate → dbt build → publish …"):
            outcome = run_build(settings, log_level="DEBUG" if verbose else "CRITICAL",
                                full_refresh=full_refresh, backfill=backfill)
    except BuildAlreadyRunning as exc:
        err.print(f"[red]refused:[/red] {escape(str(exc))}")
        raise typer.Exit(3)
    except OSError as exc:  # the out or private folder is read-only, the disk is full, …
        err.print(f"[red]build failed[/red]: {escape(str(exc))}; the published warehouse was not changed.")
        raise typer.Exit(1)
    for w in outcome.warnings:
        console.print(f"[yellow]warning[/yellow] {escape(w)}")
    if not outcome.success:
        err.print(f"[red]build failed[/red] after {outcome.seconds:.1f} s (run {outcome.run_id[:8]}); "
                  f"the published warehouse was not changed.")
        for c in outcome.failed_checks:
            err.print(f"  [red]check failed[/red] {escape(c)}")
        for f in outcome.failures:
            err.print(f"  [red]step failed[/red] {escape(f)}")
        return outcome
    console.print(f"[green]build succeeded[/green] in {outcome.seconds:.1f} s → {escape(str(outcome.published))}")
    return outcome


def print_funnel(published: Path) -> None:
    """Funnel over all cohorts: stage, reached, conversion from the previous stage, overall."""
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        rows = con.execute(
            """
            select stage_order, stage_key, any_value(stage_label_en), any_value(stage_label_zh), sum(reached_count)
            from marts.mart_funnel_cohort group by all order by stage_order
            """
        ).fetchall()
    finally:
        con.close()
    t = Table(title=f"Funnel (all cohorts) — {published}")
    for c in ("#", "stage", "阶段", "reached", "conversion", "overall"):
        t.add_column(c, justify="right" if c in ("#", "reached", "conversion", "overall") else "left")
    first = prev = None
    for order, key, en, zh, reached in rows:
        reached = int(reached or 0)
        first = reached if first is None else first
        conv = f"{reached / prev:.1%}" if prev else "—"
        overall = f"{reached / first:.1%}" if first else "—"
        t.add_row(str(order), en or key, zh or "", f"{reached:,}", conv, overall)
        prev = reached
    console.print(t)


@app.command()
def prepare(
    landing: Optional[Path] = typer.Option(None, "--landing", help="Landing folder (default: FUNNEL_LANDING_DIR / funnel.yml)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Out folder the builds will publish to."),
):
    """Parse the dbt project for builds into OUT, so the first build there does not (make install: demo/out)."""
    from orchestration.transform.project import parse_project

    settings = _settings(landing, out)
    saved = dict(os.environ)
    try:
        settings.export_env()  # the environment the build's dbt runs with: its profile keys the parse state
        with console.status("parsing the dbt project …"):
            parse_project()
    except RuntimeError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    console.print(f"[green]parsed[/green] the dbt project for builds into {settings.out_dir} "
                  f"(warehouse {settings.warehouse})")


@app.command()
def demo(
    leads: int = typer.Option(10_000, help="Size of the generated sample."),
    folder: Path = typer.Option(Path("demo"), help="Where the demo's landing/ and out/ live."),
):
    """Generate sample exports (once), build them and print the funnel."""
    landing = folder / "landing"
    if not (landing / ".truth" / "planted_truth.json").exists():
        generate(out=landing, leads=leads, seed=42, start="2026-01-01", months=6, scenario="default")
    settings = _settings(landing, folder / "out")
    outcome = _run(settings)
    if not outcome.success:
        raise typer.Exit(1)
    print_funnel(settings.published)
    console.print(f"\nWarehouse for BI tools: [bold]{settings.published.resolve()}[/bold] (schema marts)\n"
                  f"Try: duckdb -readonly {settings.published} \"select * from marts.mart_funnel_cohort limit 10\"")


@app.command()
def doctor(
    landing: Optional[Path] = typer.Option(None, "--landing", help="Landing folder (default: FUNNEL_LANDING_DIR / funnel.yml)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Out folder (default: FUNNEL_OUT_DIR / funnel.yml)."),
):
    """Check this installation (settings, folders, disk, versions, dbt, warehouse, Postgres, webhook); exit 1 if any check fails."""
    from orchestration.doctor import FAIL, OK, run_checks

    with console.status("checking …"):
        checks = run_checks(landing, out)
    t = Table(title="funnel doctor")
    for c in ("check", "status", "found", "fix"):
        t.add_column(c, overflow="fold")
    colour = {OK: "green", FAIL: "red"}
    for c in checks:
        status = f"[{colour[c.status]}]{c.status}[/]" if c.status in colour else c.status
        t.add_row(c.name, status, escape(c.detail), escape(c.fix))
    console.print(t)
    failed = [c for c in checks if c.failed]
    if failed:
        err.print(f"[red]{len(failed)} of {len(checks)} checks failed[/red]: {', '.join(c.name for c in failed)}")
        raise typer.Exit(1)
    console.print(f"[green]all {len(checks)} checks passed[/green] (SKIP: not configured)")


@app.command()
def rollback(
    out: Path = typer.Option(..., "--out", help="The published folder."),
    build_id: Optional[str] = typer.Option(None, "--build-id", help="Version to restore (default: the previous one)."),
):
    """Swap a previously published version back in."""
    from orchestration.publish.versions import rollback as do_rollback

    try:
        chosen = do_rollback(out, build_id)
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)
    console.print(f"[green]restored[/green] {chosen.name} as {out / 'funnel.duckdb'}")


@app.command()
def report(
    out: Path = typer.Option(..., "--out", help="The published folder holding funnel.duckdb."),
    lang: str = typer.Option("en", "--lang", help="Language of the labels: en or zh."),
):
    """Write the funnel report, OUT/report/funnel_report.html (zh: funnel_report.zh.html), from OUT/funnel.duckdb."""
    from orchestration.publish.catalog import PublishedFileError
    from orchestration.report import write_report

    try:
        result = write_report(out / "funnel.duckdb", out, lang)
    except (PublishedFileError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2 if isinstance(exc, ValueError) else 1)
    for key, state in result.sections.items():
        if state != "ok":
            console.print(f"[yellow]{key}[/yellow]: {state}")
    console.print(f"[green]wrote[/green] {result.path} (build {result.build_id}, {result.bytes / 1e6:.1f} MB; "
                  f"opens without network)")


@app.command()
def publish(
    out: Path = typer.Option(..., "--out", help="The published folder holding funnel.duckdb."),
    parquet: bool = typer.Option(True, "--parquet/--no-parquet", help="Export OUT/parquet."),
    postgres: bool = typer.Option(True, "--postgres/--no-postgres", help="Copy to Postgres if FUNNEL_POSTGRES_URL is set."),
    with_report: bool = typer.Option(True, "--report/--no-report", help="Write OUT/report."),
):
    """Re-make the outputs of OUT/funnel.duckdb (Parquet, Postgres, report) without rebuilding it."""
    from orchestration.publish.catalog import PublishedFileError
    from orchestration.publish.parquet import export_parquet
    from orchestration.publish.postgres import PostgresPublishError, publish_postgres
    from orchestration.report import write_report
    from orchestration.report.i18n import LANGS

    published = out / "funnel.duckdb"
    try:
        if parquet:
            p = export_parquet(published, out)
            console.print(f"[green]parquet[/green] {p.path}: {len(p.marts)} marts, {p.rows:,} rows, {p.files} files "
                          f"({p.seconds:.1f} s)")
        url = os.environ.get("FUNNEL_POSTGRES_URL")
        if postgres and url:
            pg = publish_postgres(published, url)
            console.print(f"[green]postgres[/green] schema {pg.schema}: {len(pg.tables)} tables, {pg.rows:,} rows "
                          f"({pg.seconds:.1f} s, switch {pg.swap_seconds * 1000:.0f} ms)")
            for note in pg.notes:
                console.print(f"[yellow]note[/yellow] {note}")
        elif postgres:
            console.print("postgres: FUNNEL_POSTGRES_URL is not set; skipped")
        if with_report:
            for lang in LANGS:
                console.print(f"[green]report[/green] {write_report(published, out, lang).path}")
    except (PublishedFileError, PostgresPublishError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)


@app.command()
def docs(
    out: Optional[Path] = typer.Option(None, "--out", help="Published folder whose private warehouse supplies column types (default: FUNNEL_OUT_DIR)."),
    serve: bool = typer.Option(False, "--serve", help="Serve the site on http://127.0.0.1:PORT until Ctrl-C."),
    port: int = typer.Option(8080, "--port", help="Port for --serve."),
):
    """Generate the dbt docs site (every model and column, lineage) into dbt_project/target; optionally serve it."""
    from orchestration.publish.docs_site import DocsError, docs_server, generate_docs

    settings = _settings(None, out)
    try:
        with console.status("dbt docs generate …"):
            target = generate_docs(settings.warehouse)
    except DocsError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)
    if not settings.warehouse.exists():
        console.print(f"[yellow]note[/yellow] no warehouse at {settings.warehouse}: the site has descriptions and "
                      f"lineage but no column types (run funnel build first, or pass --out)")
    console.print(f"[green]docs[/green] {target / 'index.html'}")
    if serve:
        server = docs_server(target, port)
        console.print(f"serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@app.command()
def handoff(
    out: Optional[Path] = typer.Option(None, "--out", help="Out folder whose private warehouse holds the sources (default: FUNNEL_OUT_DIR)."),
    parquet: Optional[str] = typer.Option(None, "--parquet", help="Write every dbt source as Parquet under this folder "
                                          "(for the dbt spark targets: FUNNEL_SPARK_SOURCES_PATH)."),
    postgres: bool = typer.Option(False, "--postgres", help="Copy every dbt source into the Postgres database of "
                                  "FUNNEL_DBT_POSTGRES_URL (for the dbt postgres target)."),
):
    """Hand the dbt sources (raw, quality, root cause) to another engine, to run the dbt project there (README: Scaling out)."""
    from orchestration.handoff import HandoffError, copy_to_postgres, export_parquet

    if not parquet and not postgres:
        err.print("[red]error:[/red] say where to: --parquet DIR and/or --postgres")
        raise typer.Exit(2)
    settings = _settings(None, out)
    try:
        if parquet:
            done = export_parquet(settings.warehouse, Path(parquet))
            console.print(f"[green]parquet[/green] {len(done.tables)} tables, {sum(done.tables.values())} rows "
                          f"→ {parquet} ({done.seconds:.1f} s)")
        if postgres:
            url = os.environ.get("FUNNEL_DBT_POSTGRES_URL")
            if not url:
                err.print("[red]error:[/red] set FUNNEL_DBT_POSTGRES_URL (postgresql://user:password@host:port/db)")
                raise typer.Exit(2)
            done = copy_to_postgres(settings.warehouse, url)
            console.print(f"[green]postgres[/green] {len(done.tables)} tables, {sum(done.tables.values())} rows "
                          f"({done.seconds:.1f} s)")
    except HandoffError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
