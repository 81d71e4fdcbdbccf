"""The Dagster UI serves this code location: a real ``dagster-webserver`` and a headless Chromium.

The webserver loads ``deploy/workspace.yaml`` (the production workspace) with a throw-away
DAGSTER_HOME on a free loopback port. The browser opens the asset graph filtered to the funnel
marts and waits until each mart's node shows its asset checks; the number of checks per mart
comes from the dbt manifest (one check per dbt test attached to the model), not from the UI.
The picture is saved as docs/dagster_asset_graph.png (quoted in docs/operations.md) when the test
runs with UPDATE_SCREENSHOTS=1, so an ordinary run leaves the checkout clean. The server's
whole process group (the webserver and the code server it starts) is stopped whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "dagster_asset_graph.png"
WEBSERVER = str(Path(sys.executable).parent / "dagster-webserver")
MARTS = ("mart_funnel_cohort", "mart_funnel_period", "mart_funnel_vs_target")
SELECTION = 'key:"marts/mart_funnel*" or key:"marts/fct_stage_events" or key:"marts/dim_stage"'
START_TIMEOUT_S = 120

# Each mart node on the graph: is it inside the viewport, and what does its "Asset checks" row say?
NODES_JS = """(() => {
  const wanted = %s, found = {};
  for (const el of document.querySelectorAll('*')) {
    const name = el.childElementCount === 0 ? el.textContent.trim() : '';
    if (!wanted.includes(name) || found[name]) continue;
    for (let n = el.parentElement, i = 0; n && i < 8; n = n.parentElement, i++) {
      if (!/Asset checks/.test(n.innerText)) continue;
      const r = n.getBoundingClientRect();
      const m = n.innerText.match(/(\\d+) \\/ (\\d+) Passed/);
      found[name] = {checks: m ? [Number(m[1]), Number(m[2])] : null,
                     visible: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
                              && r.right <= innerWidth && r.bottom <= innerHeight};
      break;
    }
  }
  const ready = wanted.every(k => found[k] && found[k].checks && found[k].visible);
  return ready ? found : null;
})()""" % json.dumps(list(MARTS))
# The "Join the Dagster community" dialog shown once per instance on localhost: close it if it is open.
DISMISS_JS = """[...document.querySelectorAll('[role=dialog] button')]
  .filter(b => b.innerText.trim() === 'Skip').forEach(b => b.click())"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(base: str, query: str) -> dict:
    req = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": query}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["data"]


def _wait_until_loaded(base: str, proc: subprocess.Popen, log: Path) -> None:
    """The webserver answers and the code location has loaded (not just the HTTP port)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus " \
            "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"dagster-webserver exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            entries = _graphql(base, query)["workspaceOrError"]["locationEntries"]
        except (OSError, KeyError, TypeError, ValueError):
            time.sleep(1)
            continue
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e["locationOrLoadError"] for e in entries if e["locationOrLoadError"]["__typename"] != "RepositoryLocation"]
            assert not errors, f"the code location failed to load: {errors}"
            assert [e["name"] for e in entries] == ["funnel_warehouse"]
            return
        time.sleep(1)
    raise AssertionError(f"dagster-webserver did not load the code location within {START_TIMEOUT_S} s:\n"
                         f"{log.read_text()[-3000:]}")


def _group_alive(pgid: int) -> list[int]:
    """Processes of the group that have not exited (zombies waiting to be reaped do not count)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # state, ppid, pgrp, …
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the whole process group (webserver + code server), SIGKILL to what is left after 15 s."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and (proc.poll() is None or _group_alive(proc.pid)):
            time.sleep(0.2)
        if proc.poll() is not None and not _group_alive(proc.pid):
            break
    proc.wait(5)


def _checks_per_mart_from_dbt() -> dict[str, int]:
    from orchestration.transform.project import ensure_manifest

    manifest = json.loads(ensure_manifest().read_text())
    counts = dict.fromkeys(MARTS, 0)
    for node in manifest["nodes"].values():
        attached = node.get("attached_node") or ""
        if node["resource_type"] == "test" and attached.rsplit(".", 1)[-1] in counts:
            counts[attached.rsplit(".", 1)[-1]] += 1
    return counts


def test_asset_graph_shows_the_funnel_marts_and_their_checks(tmp_path):
    from tests.publish.browser import Browser, chromium_or_skip

    chromium_or_skip()

    expected_checks = _checks_per_mart_from_dbt()  # also makes sure the manifest the server loads is fresh
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNNEL_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), FUNNEL_LANDING_DIR=str(tmp_path / "landing"),
               FUNNEL_OUT_DIR=str(tmp_path / "out"), PYTHONUNBUFFERED="1")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "webserver.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([WEBSERVER, "-h", "127.0.0.1", "-p", str(port), "-w", str(REPO / "deploy" / "workspace.yaml")],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_loaded(base, proc, log)
        _graphql(base, "mutation { setNuxSeen }")  # the community dialog would cover the graph
        url = f"{base}/asset-groups~{urllib.parse.quote(SELECTION, safe='')}/"
        shot = tmp_path / "asset_graph.png"
        with Browser() as browser:
            nodes = browser.visit(url, NODES_JS, screenshot=shot, before_each_poll=DISMISS_JS, timeout=60)
    finally:
        _stop(proc)
    assert _group_alive(proc.pid) == [], "the webserver or its code server outlived the test"
    assert nodes, f"the asset graph did not show {', '.join(MARTS)} with their checks within 60 s"
    for mart in MARTS:
        passed, total = nodes[mart]["checks"]
        assert nodes[mart]["visible"], mart
        assert total == expected_checks[mart] > 0, (mart, nodes[mart], expected_checks[mart])
        assert passed == 0  # a fresh instance: nothing has run yet
    assert shot.stat().st_size > 30_000  # a real picture, not a blank page
    if os.environ.get("UPDATE_SCREENSHOTS"):  # refresh the tracked picture on purpose only
        shutil.copy(shot, SCREENSHOT)
