"""The planner's verdict: a pick when the ranking is settled, a tie called a tie, underspent
strategies flagged, and the same words in the terminal, the report, the manifest and Python."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
import yaml
from conftest import scenario_dict

from adsim.cli import main
from adsim.confidence import metric_label, ranking_confidence
from adsim.verdict import verdict_from

NAMES = ["a", "b", "c"]


def _verdict(spend: np.ndarray, units: np.ndarray, budget_used=(1.0, 1.0, 1.0)):
    conf = ranking_confidence(spend, units, NAMES, "cpi_usd", seed=3)
    per = spend / units
    lo, hi = np.percentile(per, 5, axis=0), np.percentile(per, 95, axis=0)
    wins = (per[:, :, None] < per[:, None, :]).mean(axis=0)
    return verdict_from(conf, lo, hi, wins, np.asarray(budget_used, dtype=float))


def test_a_clear_winner_is_picked_with_its_range_and_paired_wins():
    # a buys 50-55 installs per $100 in every replicate, b 40-45, c 10-15: a always cheapest.
    spend = np.full((6, 3), 100.0)
    units = np.array([[50.0, 40.0, 10.0]] * 6) + np.arange(6)[:, None]
    v = _verdict(spend, units)
    assert v.pick == v.leader == "a" and v.tied == []
    assert v.text.startswith("Pick a: CPI $")
    assert "cheaper than b in 100% of 6 paired replicates" in v.text
    assert set(v.worse) == {"b", "c"}


def test_indistinguishable_strategies_are_called_a_tie_without_replicate_counts():
    # a and b: the same costs in swapped order (exchangeable, P(best) split); c is 4x dearer
    # in every replicate, so its paired difference from the leader excludes zero.
    rng = np.random.default_rng(5)
    x = rng.normal(100, 10, 8)
    units = np.stack([x, x[::-1], x / 4], axis=1)
    v = _verdict(np.full((8, 3), 1000.0), units, budget_used=(1.0, 1.0, 0.4))
    assert v.pick is None and sorted(v.tied) == ["a", "b"] and v.worse == ["c"]
    assert v.text.startswith("No clear winner between ")
    assert "c is clearly worse" in v.text
    assert "c spent 40% of its budget" in v.text and v.underspent == {"c": 0.4}
    # The leader is the highest P(best), and no impractical replicate count is quoted.
    conf = ranking_confidence(np.full((8, 3), 1000.0), units, NAMES, "cpi_usd", seed=3)
    assert v.leader == NAMES[int(np.argmax(conf.p_best))]
    assert not re.search(r"\d{3,} replicates", v.text)


def test_one_replicate_never_picks():
    v = _verdict(np.full((1, 3), 100.0), np.array([[50.0, 40.0, 10.0]]))
    assert v.pick is None and v.text.startswith("One replicate cannot pick: a has")


def test_the_verdict_is_the_same_in_terminal_report_manifest_and_python(tmp_path, capsys):
    import adsim

    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(horizon_days=2)))
    out = tmp_path / "out"
    argv = ["run", str(path), "--replicates", "3", "--out", str(out), "--report", "--no-progress"]
    assert main(argv) == 0
    terminal = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    text = adsim.run(path, replicates=3, workers=1).verdict().text
    assert f"Verdict: {text}" in terminal
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["verdict"]["text"] == text
    page = (out / "report.html").read_text()
    said = re.search(r'<p class="verdict" id="verdict">(.*?)</p>', page)
    assert said is not None and html.unescape(said.group(1)) == text
    # The report says it first: before any section.
    assert page.index('id="verdict"') < page.index("<section")


@pytest.mark.parametrize("metric", ["cpi_usd", "icpi_usd"])
def test_the_verdict_ranks_by_the_chosen_metric(metric):
    import adsim

    result = adsim.run(scenario_dict(horizon_days=2), replicates=3, workers=1, rank_by=metric)
    v = result.verdict()
    assert v.metric == metric
    assert v.leader == result.confidence(metric).leader
    assert (metric_label(metric) + " $") in v.text


def test_python_results_share_one_shape():
    """Strategy is the index of every per-strategy frame; counts are whole numbers."""
    import adsim

    result = adsim.run(scenario_dict(horizon_days=1), replicates=2, workers=1)
    frames = [result.summary(), result.breakdown("age"), result.breakdowns(),
              result.confidence().to_frame()]  # fmt: skip
    for frame in frames:
        assert frame.index.name == "strategy"
        assert set(frame.index) == set(result.strategies)
    series = result.timeseries()
    for col in ("impressions", "clicks", "installs", "reach_cum", "auctions"):
        assert series[col].dtype == np.int64, col
    conf = result.confidence().to_frame()
    assert conf["p_best"].sum() == pytest.approx(1.0)
    assert np.isnan(conf.loc[result.confidence().leader, "replicates_to_separate"])
