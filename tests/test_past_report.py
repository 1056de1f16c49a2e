"""A past campaign's report (docs/past_report.md): adsim writes runs in it (`adsim export`)
and reads reports, its own or with Meta's and X's headers, checking every row."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from conftest import ROOT, SCENARIOS, scenario_dict

import adsim
from adsim.cli import main
from adsim.outputs import export_past_report
from adsim.scenario import ScenarioError
from adsim.scenario.past_report import read_past_report

STRATEGIES = ["broad", "cars_cpc"]
HEADER = "date,ad_set,spend_usd,impressions,clicks,installs\n"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    result = adsim.run(scenario_dict(horizon_days=3), replicates=2, workers=1)
    result.save(out)
    return result, out


def test_an_exported_run_reads_back_with_its_totals(saved, tmp_path):
    """Replicate 1 of a run, exported with dates and read back: the same days, ad sets and
    totals as the run's own numbers for that replicate (spend to the cent per day)."""
    result, out = saved
    path = export_past_report(out, tmp_path / "r.csv", 1, datetime.date(2026, 11, 2))
    report = read_past_report(path, result.strategies)
    assert report.days == 3 and report.start_date == datetime.date(2026, 11, 2)
    assert report.ignored_columns == ("incremental_installs_true",)
    mine = result.per_replicate().xs(1, level="replicate")
    totals = report.totals()
    for col in ("impressions", "clicks", "installs"):
        np.testing.assert_array_equal(totals[col], mine[col])
    np.testing.assert_allclose(totals["spend_usd"], mine["spend_usd"], atol=0.005 * 3)


def test_meta_headers_and_breakdowns_are_read():
    report = read_past_report(
        ROOT / "docs" / "examples" / "past_report_meta_headers.csv",
        ["broad", "young_foodies", "site_visitors", "followers_cpm"],
    )
    assert report.breakdowns == ("age",) and report.days == 2
    assert report.strategies == ("broad", "young_foodies")  # the scenario's order
    assert report.ignored_columns == ("Results", "Cost per result")
    young = report.totals().loc["young_foodies"]
    assert young["spend_usd"] == pytest.approx(1210.50 + 980.10 + 1190.80 + 1002.40)
    assert young["impressions"] == 52100 + 41800 + 51200 + 42700  # "52,100" read as a number


def test_the_bundled_example_checks_from_the_cli(capsys):
    code = main(["check-report", str(SCENARIOS / "quickstart.yaml"),
                 str(ROOT / "docs" / "examples" / "past_report_quickstart.csv")])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and "7 days (from 2026-11-02)" in printed and "young_foodies" in printed


# (case, file content, where the problem is, words of the one message)
BAD_REPORTS = [
    ("no installs column", "date,ad_set,spend_usd,impressions,clicks,app_instals\n"
     "2026-11-02,broad,1,10,1,0\n", "<columns>", "missing column(s): installs"),
    ("a date that is none", HEADER + "2026-02-30,broad,1,10,1,0\n",
     "row 2, column 'date'", "is not a date"),
    ("an unknown ad set", HEADER + "2026-11-02,brod,1,10,1,0\n",
     "row 2, column 'ad_set'", "did you mean 'broad'"),
    ("negative spend", HEADER + "2026-11-02,broad,-5,10,1,0\n",
     "row 2, column 'spend_usd'", "negative"),
    ("a word for a number", HEADER + "2026-11-02,broad,1,many,1,0\n",
     "row 2, column 'impressions'", "'many' is not a number"),
    ("clicks above impressions", HEADER + "2026-11-02,broad,1,10,11,0\n",
     "row 2, column 'clicks'", "clicks (11) exceed impressions (10)"),
    ("installs above clicks overall", HEADER + "2026-11-02,broad,1,10,1,0\n"
     "2026-11-03,broad,1,10,1,5\n", "column 'installs'", "more installs (5) than clicks (2)"),
    ("the same day twice", HEADER + "2026-11-02,broad,1,10,1,0\n2026-11-02,broad,1,10,1,0\n",
     "row 3, column 'ad_set'", "the same day and ad set as row 2"),
    ("dates and day numbers", HEADER + "2026-11-02,broad,1,10,1,0\n1,broad,1,10,1,0\n",
     "column 'date'", "mixes dates and day numbers"),
    ("two spend columns", "date,ad_set,Spend,Amount spent (USD),impressions,clicks,installs\n"
     "2026-11-02,broad,1,1,10,1,0\n", "column 'Amount spent (USD)'", "a second column"),
    ("header only", HEADER, "<file>", "the report is empty"),
    ("not text", "\xff\xfe\x00binary", "<file>", "not UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "where", "words"), [pytest.param(*c[1:], id=c[0]) for c in BAD_REPORTS]
)
def test_a_bad_report_is_refused_with_its_row_and_column(tmp_path, capsys, content, where, words):
    path = tmp_path / "report.csv"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        read_past_report(path, STRATEGIES)
    assert len(info.value.problems) == 1
    got_where, message = info.value.problems[0]
    assert got_where == where and words in message, info.value.problems
    scenario = tmp_path / "s.json"
    scenario.write_text(__import__("json").dumps(scenario_dict()))
    assert main(["check-report", str(scenario), str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_folder_is_not_a_report(tmp_path):
    with pytest.raises(ScenarioError, match="it is not a file"):
        read_past_report(tmp_path, STRATEGIES)


def test_export_refuses_a_replicate_the_run_does_not_have(saved, tmp_path, capsys):
    _, out = saved
    assert main(["export", str(out), "--out", str(tmp_path / "r.csv"), "--replicate", "5"]) == 2
    assert "replicate 5 is not in the run" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("market_mode", ["isolated", "shared"])
def test_the_mmm_table_carries_the_kpi_spend_and_the_truth(tmp_path, market_mode):
    """The daily table MMM tools read. Isolated strategies share one organic baseline world
    (the same installs_without for every strategy) and the KPI adds their incremental
    installs to it; in a shared market every strategy's world is the market, whose installs
    are the KPI. Either way the spend columns are the report's."""
    import pandas as pd

    from adsim.outputs import export_mmm_table

    result = adsim.run(scenario_dict(horizon_days=3, market_mode=market_mode), workers=1)
    result.save(tmp_path / "run")
    series = result.timeseries()
    by_day = series.pivot(index="day", columns="strategy")
    table = pd.read_csv(export_mmm_table(tmp_path / "run", tmp_path / "mmm.csv"))
    incremental = by_day["incremental_installs"].sum(axis=1).to_numpy()
    if market_mode == "isolated":
        baseline = by_day["installs_without"]
        assert (baseline.nunique(axis=1) == 1).all()  # one baseline world
        np.testing.assert_array_equal(table["baseline_installs_true"], baseline.iloc[:, 0])
        np.testing.assert_array_equal(table["installs"], baseline.iloc[:, 0] + incremental)
    else:
        market = by_day["installs_world"]
        assert (market.nunique(axis=1) == 1).all()  # one world for everyone
        np.testing.assert_array_equal(table["installs"], market.iloc[:, 0])
    for name in result.strategies:
        np.testing.assert_allclose(
            table[f"{name}_spend_usd"], by_day["spend_usd"][name], atol=0.005
        )
        np.testing.assert_array_equal(
            table[f"{name}_incremental_installs_true"], by_day["incremental_installs"][name]
        )


def test_an_export_split_by_gender_keeps_each_days_totals_and_the_groups_shares(
    saved, tmp_path, capsys
):
    """Every day's figures are split into whole numbers that add up to the day's; each
    group's installs over the report are the run's breakdown (replicate means) to within
    the rounding of one install a day."""
    result, out = saved
    plain = read_past_report(export_past_report(out, tmp_path / "p.csv", 0), result.strategies)
    split = read_past_report(
        export_past_report(out, tmp_path / "g.csv", 0, breakdown="gender"), result.strategies
    )
    assert split.breakdowns == ("gender",)
    np.testing.assert_array_equal(split.daily()["installs"], plain.daily()["installs"])
    np.testing.assert_allclose(split.daily()["spend_usd"], plain.daily()["spend_usd"], atol=0.02)
    by_group = split.rows.groupby(["strategy", "gender"])["installs"].sum()
    run = result.breakdown("gender").set_index("gender", append=True)["installs"]
    shares = (run / run.groupby(level=0).transform("sum")).loc["broad"]
    got = by_group.loc["broad"] / by_group.loc["broad"].sum()
    assert (got - shares.reindex(got.index)).abs().max() < 0.05
    argv = ["export", str(out), "--out", str(tmp_path / "cli.csv"), "--breakdown", "gender"]
    assert main(argv) == 0
    assert (tmp_path / "cli.csv").read_text().splitlines()[0].startswith("date,ad_set,gender,")
    with pytest.raises(SystemExit):  # argparse: not one of the choices
        main(["export", str(out), "--out", str(tmp_path / "x.csv"), "--breakdown", "os"])
    capsys.readouterr()
