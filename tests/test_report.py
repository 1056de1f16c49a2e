"""The HTML report: one self-contained file with every section and its plots."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest
from conftest import scenario_dict

import adsim
from adsim import Scenario
from adsim.cli import main
from adsim.report.html import REPORT_SECTIONS

pytestmark = pytest.mark.slow

# Images per section: the CPI chart, win matrix, daily, reach and audience charts, one per
# breakdown dimension (age, region, device), and none for organic posts (no feed here).
EXPECTED_IMAGES = {
    "cpi": 1, "wins": 1, "daily": 1, "calendar": 0, "reach": 1, "audience": 1, "breakdowns": 4,
    "organic": 0,
}  # fmt: skip
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Sections(HTMLParser):
    """Collects each section's id, its images (decoded) and any external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.current: str | None = None
        self.images: dict[str, list[bytes]] = {}
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.current = a.get("id")
            self.images[self.current] = []
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value and not value.startswith("data:"):
                self.external.append(value)
        if tag == "img":
            src = a.get("src") or ""
            assert src.startswith("data:image/png;base64,")
            self.images[self.current].append(base64.b64decode(src.split(",", 1)[1]))


@pytest.fixture(scope="module")
def result():
    return adsim.run(Scenario.model_validate(scenario_dict()), replicates=2)


def _parse(path) -> _Sections:
    parser = _Sections()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_report_has_every_section_with_its_plots_and_no_external_reference(result, tmp_path):
    path = result.report(tmp_path / "r.html")
    parsed = _parse(path)
    assert list(parsed.images) == [sid for sid, _ in REPORT_SECTIONS]
    for section, count in EXPECTED_IMAGES.items():
        images = parsed.images[section]
        assert len(images) == count, section
        assert all(img.startswith(PNG_MAGIC) and len(img) > 5000 for img in images), section
    assert parsed.external == []  # self-contained: it can be e-mailed
    text = path.read_text()
    for name in result.strategies:
        assert name in text
    assert "What you cannot conclude" in text and "[" in text  # caveats; replicate ranges


def test_report_command_reads_a_saved_run(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(Scenario.model_validate(scenario_dict()).model_dump_json(by_alias=True))
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--replicates", "2", "--report"]) == 0
    from_run = _parse(out / "report.html")
    assert main(["report", str(out), "--output", str(tmp_path / "again.html")]) == 0
    again = _parse(tmp_path / "again.html")
    assert {k: len(v) for k, v in again.images.items()} == {
        k: len(v) for k, v in from_run.images.items()
    }
    capsys.readouterr()
    # Not a results folder: exit 2 naming the missing file, nothing written.
    assert main(["report", str(tmp_path)]) == 2
    assert "summary.csv is missing" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()
    assert main(["run", str(path), "--report"]) == 2  # --report needs --out


@pytest.mark.parametrize(
    "kind", ["cpi", "wins", "daily", "reach", "audience", "breakdown:age", "breakdown:device"]
)
def test_plot_helpers_return_figures_with_data(result, kind):
    fig = result.plot(kind)
    assert fig.axes and any(ax.has_data() for ax in fig.axes)


def test_plot_rejects_an_unknown_kind(result):
    with pytest.raises(ValueError, match="unknown plot 'pie'; choose from cpi"):
        result.plot("pie")


def test_tables_never_cut_numbers_on_a_narrow_terminal():
    """At 80 columns the strategies are split over several tables instead of cutting cells."""
    from rich.console import Console

    from adsim.report import breakdown_table, result_tables

    names = ["a_long_strategy_name", "another_long_one", "third_strategy", "fourth_one"]
    data = scenario_dict()
    base = data["strategies"][0]
    data["strategies"] = [{**base, "name": n} for n in names]
    res = adsim.run(Scenario.model_validate(data), replicates=2)
    console = Console(width=80, record=True, color_system=None)
    result_tables(res, console)
    breakdown_table(res.breakdown("region"), "region", console)
    text = console.export_text()
    assert "…" not in text and "(1/2)" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    spend = res.summary()["spend_usd"]
    for name in names:  # every full number is printed somewhere
        assert name in text and f"{spend[name]:,.0f}" in text


def test_plots_show_the_tables_figures(result):
    """One statistic everywhere: the cumulative-CPI line ends at the table's CPI (total spend /
    total installs), and the CPI chart's bars are the table's CPIs, cheapest first."""
    from matplotlib.patches import Rectangle

    from adsim.report import plots

    summary = result.summary()
    cum = plots.cumulative_cpi(result.timeseries())
    last = cum.xs(cum.index.get_level_values("day").max(), level="day")["cpi_usd"]
    for name in result.strategies:
        assert last[name] == pytest.approx(summary.at[name, "cpi_usd"], rel=1e-9)
    fig = plots.cpi_chart(summary)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    widths = [b.get_x() + b.get_width() for b in bars]
    assert widths == pytest.approx(sorted(summary["cpi_usd"]), rel=1e-9)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(summary.sort_values("cpi_usd").index)


def test_report_reads_at_a_glance(result, tmp_path):
    """Title, the scenario's description and the verdict come before the evidence; audiences
    are in words; no raw JSON, no '[---]' cells."""
    import html as html_lib

    data = scenario_dict(description="Two ways to reach car fans in the south.")
    path = adsim.run(data, replicates=2, workers=1).report(tmp_path / "r.html")
    text = path.read_text()
    first = text.index("<section")
    assert text.index("Two ways to reach car fans in the south.") < first
    assert text.index('id="verdict"') < first
    plain = html_lib.unescape(text)
    assert "interested in cars" in plain and '{"interests"' not in plain
    assert "[---]" not in plain and "[-]" not in plain


def test_report_fits_a_1200px_window_in_chromium(tmp_path):
    """Rendered by headless Chromium at 1,200 px, as a reader opens it: no table of a
    7-strategy run is wider than its box (nothing runs off the right edge)."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    data = scenario_dict(horizon_days=1)
    data["population"]["scale"] = 2000  # counts in the millions: the widest cells
    for account in data["accounts"]:
        account["followers"] *= 200
    base = data["strategies"][0]
    data["strategies"] = [{**base, "name": f"strategy_with_a_long_name_{k}"} for k in range(7)]
    page = adsim.run(data, replicates=2, workers=1).report(tmp_path / "r.html").read_text()
    probe = (
        "<script>window.onload=()=>{let worst=0;for(const t of document.querySelectorAll("
        "'table')){const box=t.parentElement.getBoundingClientRect().width;"
        "worst=Math.max(worst,t.getBoundingClientRect().width-box)}"
        "document.body.setAttribute('data-overflow',String(Math.round(worst)))}</script>"
    )
    (tmp_path / "probe.html").write_text(page.replace("</body>", probe + "</body>"))
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,2000",
         "--virtual-time-budget=5000", "--dump-dom", (tmp_path / "probe.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    found = re.search(r'data-overflow="(-?\d+)"', dom)
    assert found is not None, dom[-500:]
    assert int(found.group(1)) <= 0
