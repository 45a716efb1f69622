"""`crmkit report`: the HTML page, read in a real browser (headless Chromium).

The browser test drives Chromium over the DevTools protocol on a pipe (no extra Python
package): it loads the page from a file, records every network request, console message
and exception, checks that every section and every figure rendered, and saves a
screenshot beside the report (``tests/.artifacts/report.png``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from crmkit._cli_support import DemoData
from crmkit._report import SECTIONS, ReportData, build_report
from crmkit.cli import main

pytest.importorskip("matplotlib", reason="the report draws its figures with matplotlib")

ARTIFACTS = Path(__file__).parent / ".artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
    "--window-size=1280,1600",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    assert main(["report", str(folder), "--seed", "5"]) == 0
    return folder / "report.html"


def test_report_command_prints_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "out"
    assert main(["report", str(folder), "--seed", "2"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str((folder / "report.html").resolve())
    assert oct((folder / "report.html").stat().st_mode & 0o044) != "0o0"  # others may read it


def test_report_is_self_contained(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    for sid, title in SECTIONS:
        assert f'id="{sid}"' in page
        assert f"<h2>{title}</h2>" in page
    assert "not included" not in page.lower()
    # Nothing from another host: no http(s) URL in any attribute, no script, no web font.
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    assert "<script" not in page
    assert "@font-face" not in page
    assert page.count('<img class="figure"') >= 10


def test_report_over_your_files_lists_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = DemoData(seed=4)
    tx = tmp_path / "orders.csv"
    data.transactions.rename(columns={"customer_id": "client", "amount": "paid"}).to_csv(
        tx, index=False
    )
    responses = tmp_path / "responses.csv"
    data.survey_responses.to_csv(responses, index=False)
    argv = ["report", str(tmp_path / "out"), "--transactions", str(tx)]
    argv += ["--customer", "client", "--amount", "paid", "--responses", str(responses)]
    assert main(argv) == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "over orders.csv, responses.csv" in page
    assert page.count("Not included") == 3  # loyalty, service levels and campaigns
    assert "--events FILE --program PROGRAM.json" in page
    assert "--tickets FILE --policy POLICY.json" in page
    assert main(["report", str(tmp_path / "bad"), "--transactions", str(tx)]) == 2
    assert "column 'customer_id' must be present" in capsys.readouterr().err


def test_report_without_data_is_a_page_of_notes() -> None:
    page = build_report(ReportData())
    assert page.count("Not included") == len(SECTIONS)


# --------------------------------------------------------------------------- browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    """A minimal Chrome DevTools protocol client over --remote-debugging-pipe."""

    def __init__(self, binary: str, profile: str) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Chromium reads commands from fd 3 and writes replies and events to fd 4.
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=lambda: (os.dup2(to_child_r, 3), os.dup2(from_child_w, 4)),  # noqa: PLW1509
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise ConnectionError("Chromium closed the pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:  # fmt: skip
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60.0) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError, ConnectionError):
            self.send("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)


_CHECK_PAGE = """
JSON.stringify(Array.from(document.querySelectorAll('section.report-section')).map(s => ({
  id: s.id,
  title: s.querySelector('h2') && s.querySelector('h2').textContent,
  height: s.getBoundingClientRect().height,
  reading: s.querySelectorAll('.reading p').length,
  tables: s.querySelectorAll('table.data tbody tr').length,
  figures: Array.from(s.querySelectorAll('img.figure')).map(img => ({
    complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    shown: img.getBoundingClientRect().width,
  })),
})))
"""


def test_report_renders_in_headless_chromium(report: Path) -> None:
    binary = _chromium()
    if binary is None:
        pytest.skip(
            "Chromium is not installed (Debian: apt-get install chromium; `make test` "
            "installs it when it can)"
        )
    with tempfile.TemporaryDirectory() as profile:
        tools = DevTools(binary, profile)
        try:
            target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log", "Network"):
                tools.send(f"{domain}.enable", session=session)
            tools.send("Page.navigate", {"url": report.as_uri()}, session=session)
            tools.wait_for("Page.loadEventFired")
            result = tools.send(
                "Runtime.evaluate",
                {"expression": _CHECK_PAGE, "returnByValue": True},
                session=session,
            )
            sections = json.loads(result["result"]["value"])
            shot = tools.send(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True},
                session=session,
            )
        finally:
            tools.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000

    assert [s["id"] for s in sections] == [sid for sid, _ in SECTIONS]
    for section in sections:
        assert section["title"], section["id"]
        assert section["height"] > 200, section["id"]
        assert section["reading"] >= 1, section["id"]
        assert section["tables"] >= 1, section["id"]
        assert section["figures"], section["id"]
        for figure in section["figures"]:
            assert figure["complete"], section["id"]
            assert figure["width"] > 100, (section["id"], figure)
            assert figure["height"] > 100, (section["id"], figure)
            assert figure["shown"] > 100, (section["id"], figure)

    methods = [e.get("method") for e in tools.events]
    errors = [
        e
        for e in tools.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert errors == []
    requests = [
        e["params"]["request"]["url"]
        for e in tools.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requests, methods  # the page itself was seen by the network domain
    remote = [url for url in requests if not url.startswith(("file:", "data:", "about:"))]
    assert remote == []


def test_report_over_the_sample_files_has_every_section(tmp_path: Path) -> None:
    """`crmkit sample DIR` then `crmkit report` over those files: all five sections."""
    data = tmp_path / "data"
    assert main(["sample", str(data), "--seed", "6"]) == 0
    argv = ["report", str(tmp_path / "out"), "--transactions", str(data / "transactions.csv")]
    argv += ["--tickets", str(data / "tickets.csv"), "--policy", str(data / "policies.json")]
    argv += ["--ticket-events", str(data / "ticket_events.csv")]
    argv += ["--responses", str(data / "responses.csv")]
    argv += ["--events", str(data / "loyalty_events.csv"), "--program", str(data / "program.json")]
    assert main(argv) == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    # Every section but campaigns, which needs an assignment the command cannot read.
    assert page.count("Not included") == 1
    assert "Not included: this section needs an assignment" in page
    assert page.count('<img class="figure"') >= 10


def test_campaigns_section_on_the_sample_data() -> None:
    """The seed scenario: sleepers, 10% held out, measured; per arm, uplift, revenue, SRM."""
    from crmkit._report import CONTROL_SHARE, campaigns, sample_campaign, sections

    data = DemoData(seed=3)
    arms, start = sample_campaign(data.transactions)
    assert arms.attrs["control_share"] == CONTROL_SHARE == 0.1
    share = float((arms["arm"] == "control").mean())
    assert 0.05 < share < 0.15
    built = sections(ReportData(transactions=data.transactions, assignment=arms,
                                campaign_start=start))  # fmt: skip
    section = built[-1]
    assert section.id == "campaigns"
    assert section.missing == ""
    again = campaigns(arms, data.transactions, start, _axes())
    assert (again.reading, again.tables) == (section.reading, section.tables)
    text = " ".join(section.reading)
    assert "Newcombe" in text
    assert "Welch" in text
    assert "CUPED" in text
    assert "Sample-ratio check" in text
    assert "control group" in text
    assert "no coupon was sent" in text
    assert len(section.figures) == 2
    assert all(f.svg.startswith(b"<?xml") for f in section.figures)
    titles = [title for title, _ in section.tables]
    assert titles == ["Arms", "What the campaign changed (treatment minus control)",
                      "Sample-ratio check"]  # fmt: skip
    arms_table = section.tables[0][1]
    assert "control" in arms_table
    assert "treatment" in arms_table
    assert f"{int((arms['arm'] == 'control').sum()):,}" in arms_table
    assert "newcombe" in section.tables[1][1]
    assert "welch" in section.tables[1][1]
    assert "CUPED" in section.tables[1][1]


def _axes() -> Any:
    from crmkit._report import _figure_factory

    return _figure_factory()


def test_customer_value_reading_names_the_vip_tier_as_it_is() -> None:
    """Regression: on 3 customers the reading said "the top 1% (VIP) alone bring 96.9%",
    while the VIP tier is 1 customer of 3 (33.3%; the pyramid's ceiling rule)."""
    import pandas as pd

    from crmkit._report import customer_value

    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "date": pd.to_datetime(["2025-01-05", "2025-01-06", "2025-01-07"]),
            "amount": [100.0, 2.0, 1.1],
        }
    )
    text = " ".join(customer_value(tx, _axes()).reading)
    assert "the VIP tier of the pyramid (1 customer, 33.3%) alone brings 97.0%" in text
    assert "top 1%" not in text
