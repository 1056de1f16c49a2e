"""One self-contained HTML report of a run (plots inlined as PNG, no network): what a planner
can e-mail. Built from a saved result folder (``adsim report DIR``) or a Result in memory.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..breakdown import DIMENSIONS
from ..confidence import metric_label
from .tables import fmt, fmt_range, separation_label, summary_rows
from .words import PLAIN_NAMES, audience_words

if TYPE_CHECKING:
    import pandas as pd

    from ..result import Result

__all__ = ["REPORT_SECTIONS", "ReportData", "write_report"]

# (id, title) of every section, in order; tests check that each one is present.
REPORT_SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Strategies side by side"),
    ("cpi", "Cost per install"),
    ("wins", "How sure is the ranking"),
    ("daily", "Spend, installs and CPI over time"),
    ("calendar", "The calendar: sessions, market prices and events"),
    ("reach", "Reach and frequency"),
    ("audience", "Audiences"),
    ("breakdowns", "Who saw the ads"),
    ("organic", "Organic posts, and what caused the installs"),
    ("assumptions", "What the scenario assumes"),
    ("caveats", "What this does and does not tell you"),
)

_CAVEATS = """
<p>adsim simulates a platform: people opening the app, the ad auctions they pass through,
the platform's optimiser learning from the installs it sees, and people clicking and
installing. Every figure here is what the <em>model</em> produces from the scenario's
assumptions, not a forecast of your campaign.</p>
<ul>
<li><b>What you can conclude:</b> how the strategies compare <em>under the same
assumptions</em>, and how sure that comparison is across the model's own randomness (the
ranges and the win matrix). Targeting that encodes what the platform cannot see (the app's
fit along traits it does not observe) or has not yet learnt tends to win early and on small
budgets; the gap narrows as installs accumulate.</li>
<li><b>What you cannot conclude:</b> whether your beliefs about who installs the app
(<code>app.fit</code>) are right, or what real CPMs and click rates will be. Run the scenario
again with the beliefs you doubt: if the ranking flips, the decision depends on them.</li>
<li><b>The ranges</b> are the 5th-95th percentile of outcomes across replicates (who happens to
be online, the market's bids, who clicks), not a confidence interval, and say nothing about
error in the scenario itself. With few replicates, they are rough: use 20 or more.</li>
<li><b>Incremental installs</b> are installs with the strategy minus installs in the same world
without it (same random draws): exact in the model, unobservable in reality.</li>
</ul>
"""

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1em}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}
h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.3em .55em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
td.wrap{white-space:normal;text-align:left;max-width:34em;word-break:break-word}
thead th{background:#f3f5f8;white-space:normal;max-width:10em;overflow-wrap:break-word}
table.summary thead th{overflow-wrap:anywhere}
.range{color:#777;font-size:.85em}.scroll{overflow-x:auto;max-width:100%}
img{max-width:100%;height:auto;display:block;margin:.6em 0}
code{background:#f3f3f3;padding:0 .2em}.note{color:#555;font-size:.92em}
.lead{font-size:1.1em;margin:.3em 0}
.verdict{font-size:1.15em;background:#eef6ee;border-left:5px solid #3a7d44;padding:.6em .9em}
"""


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, as DataFrames and plain dicts."""

    summary: pd.DataFrame
    timeseries: pd.DataFrame
    breakdown: pd.DataFrame  # long: dimension, strategy, group, impressions, ..., cpi_usd
    win_matrix: pd.DataFrame
    audience_overlap: pd.DataFrame | None
    scenario: dict[str, Any]
    manifest: dict[str, Any]
    posts: pd.DataFrame | None = None  # one row per organic post and replicate
    install_sources: pd.DataFrame | None = None  # per strategy: installs by cause
    followers: pd.DataFrame | None = None  # per replicate, world, account, day
    events: pd.DataFrame | None = None  # one row per event airing (events.csv)
    hourly: pd.DataFrame | None = None  # per replicate, strategy, slot (hourly.parquet)

    @classmethod
    def from_result(cls, result: Result) -> ReportData:
        return cls(
            summary=result.summary(),
            timeseries=result.timeseries(),
            breakdown=result.breakdowns().reset_index(),
            win_matrix=result.cpi_win_matrix(),
            audience_overlap=result.audience_overlap(),
            scenario=result.scenario.model_dump(mode="json", by_alias=True),
            manifest=result.manifest(),
            posts=result.posts(),
            install_sources=result.install_sources(),
            followers=result.followers(),
            events=result.events(),
            hourly=result.hourly(),
        )

    @classmethod
    def from_dir(cls, folder: str | Path) -> ReportData:
        """Read a folder written by ``adsim run --out`` / ``Result.save``. Raises
        FileNotFoundError naming the first missing file."""
        import pandas as pd

        folder = Path(folder)
        needed = ("summary.csv", "timeseries.parquet", "breakdown.csv", "manifest.json")
        for name in needed:
            if not (folder / name).is_file():
                raise FileNotFoundError(
                    f"{folder / name} is missing: is this a run's --out folder?"
                )
        overlap_file = folder / "audience_overlap.csv"
        wins_file = folder / "win_matrix.csv"
        scenario_file = folder / "scenario.json"
        summary = pd.read_csv(folder / "summary.csv", index_col="strategy")
        return cls(
            summary=summary,
            timeseries=pd.read_parquet(folder / "timeseries.parquet"),
            breakdown=pd.read_csv(folder / "breakdown.csv"),
            win_matrix=(
                pd.read_csv(wins_file, index_col="strategy")
                if wins_file.is_file()
                else pd.DataFrame(index=summary.index, columns=summary.index, dtype=float)
            ),
            audience_overlap=(
                pd.read_csv(overlap_file, index_col="strategy") if overlap_file.is_file() else None
            ),
            scenario=json.loads(scenario_file.read_text()) if scenario_file.is_file() else {},
            manifest=json.loads((folder / "manifest.json").read_text()),
            posts=_optional_csv(folder / "posts.csv"),
            install_sources=_optional_csv(folder / "install_sources.csv", "strategy"),
            followers=_optional_csv(folder / "followers.csv"),
            events=_optional_csv(folder / "events.csv"),
            hourly=(
                pd.read_parquet(folder / "hourly.parquet")
                if (folder / "hourly.parquet").is_file()
                else None
            ),
        )


def _ranking_html(ranking: dict[str, Any] | None, replicates: int) -> str:
    """P(best) per strategy and the paired replicates that would separate each from the
    leader (from the manifest's ``ranking``)."""
    if not ranking or not ranking.get("leader"):
        return ""
    leader = ranking["leader"]
    needed = ranking["replicates_needed"].get(leader, {})
    reps = int(replicates)
    rows = []
    for name, p in ranking["p_best"].items():
        n = needed.get(name)
        shown = (
            "leader"
            if name == leader
            else separation_label(math.nan if n is None else float(n), reps)
        )
        pct = "-" if p is None else f"{100 * p:.0f}%"
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{pct}</td><td>{html.escape(str(shown))}</td></tr>"
        )
    stop = ranking.get("stopping")
    how = ""
    if stop:
        how = (
            " The run stopped adaptively: "
            + ("the leader was settled" if stop["settled"] else "not settled at the maximum")
            + f" ({html.escape(stop['rule'])})."
        )
    name = metric_label(str(ranking.get("metric", "cpi_usd")))
    return (
        f"<table><tr><th>strategy</th><th>P(lowest {name})</th><th>against "
        f"{html.escape(leader)}</th></tr>{''.join(rows)}</table>"
        f"<p class='note'>P(lowest {name}): share of Bayesian-bootstrap re-weightings of the "
        f"paired replicates in which the strategy has the lowest {name}. <em>Clearly "
        f"worse</em>: a 95% interval of its paired {name} difference from the leader excludes "
        "zero (delta method); <em>within noise</em>: it does not yet, with the paired "
        "replicates that would tell them apart; <em>tie</em>: so many would be needed that "
        "the two are, for a decision, equal. Both measure the model's randomness, not the "
        f"scenario's assumptions.{how}</p>"
    )


def _optional_csv(path: Path, index_col: str | None = None) -> pd.DataFrame | None:
    """A file that runs saved by older versions do not have."""
    import pandas as pd

    return pd.read_csv(path, index_col=index_col) if path.is_file() else None


def _calendar(data: ReportData, events: pd.DataFrame | None) -> str:
    """Sessions and the rest of the market's prices slot by slot, events shaded."""
    from . import plots

    cal = data.scenario.get("calendar")
    if not cal or data.hourly is None or data.hourly.empty:
        return (
            "<p class='note'>No calendar: every day is alike (add a <code>calendar</code> "
            "section for weekdays, seasons and events).</p>"
        )
    names = ", ".join(
        f"{html.escape(str(e))} ({html.escape(str(k))})"
        for e, k in dict(zip(events["event"], events["kind"], strict=True)).items()
    ) if events is not None else "none"  # fmt: skip
    start = cal.get("start_date")
    return img_tag(plots.calendar_chart(data.hourly, events), "sessions and market prices") + (
        f"<p class='note'>Starts {html.escape(str(start)) if start else 'on day 0'}; events: "
        f"{names}. Sessions on the whole platform and the rest of the market's mean competing "
        "eCPM in each slot (replicate means): weekday, season and event multipliers move them "
        "for every advertiser alike.</p>"
    )


def _organic(data: ReportData) -> str:
    """Per tactic: posts, reach share, engagement, cascades, installs; the posts' plot; and
    what caused each strategy's installs."""
    from . import plots

    parts = []
    posts = data.posts
    if posts is None or posts.empty:
        parts.append(
            "<p class='note'>No organic posts: the scenario has no organic feed "
            "(<code>platform.feed</code>, <code>posting</code>, <code>organic_tactics</code>)."
            "</p>"
        )
    else:
        by = posts.groupby("tactic", sort=False)
        table = _html_table(
            {
                "posts": by.size() / max(1, posts["replicate"].nunique()),
                "reach share 24h": by["reach_share_24h"].mean(),
                "views per post": by["views"].mean(),
                "shares per post": by["shares"].mean(),
                "posts shared": by["shares"].apply(lambda x: (x > 0).mean()),
                "deepest cascade": by["cascade_depth"].max(),
                "installs per post": by["installs"].mean(),
            },
            {"reach share 24h": "pct", "posts shared": "pct"},
        )
        parts.append(table)
        parts.append(
            "<p class='note'>Per replicate. Reach share: the share of the page's followers who "
            "saw a post within 24 h. Shares: a post's cascade; depth: its longest chain of "
            "shares.</p>"
        )
        parts.append(img_tag(plots.organic_chart(posts), "organic posts: reach share and cascades"))
    if data.followers is not None and not data.followers.empty:
        parts.append(_followers_html(data.followers, data.scenario))
    if data.install_sources is not None:
        src = data.install_sources
        parts.append("<h3>What caused the installs in each strategy's world</h3>")
        parts.append(_html_table({PLAIN_NAMES.get(c, c): src[c] for c in src.columns}, {}))
        parts.append(
            "<p class='note'>Installs over the run (replicate means): caused by the world's "
            "ads, by brand posts seen directly or through shares, or by nothing (the baseline: "
            "people who install anyway). <em>Credited to the ads, not caused by them</em>: "
            "installs attribution credits to the strategy that would have happened without its "
            "ads (people in the market anyway); this is why incremental installs can be fewer "
            "than attributed ones, and why, when the ads also cause installs attribution misses "
            "(a view outside the window, a share), they can be more.</p>"
        )
    return "".join(parts)


def _followers_html(followers: pd.DataFrame, scenario: dict[str, Any]) -> str:
    """Brand accounts' followers gained and lost over the run in each world (replicate
    means)."""
    brands = {a["handle"] for a in scenario.get("accounts", []) if a.get("kind") == "brand"}
    mine = followers[followers["account"].isin(brands)] if brands else followers
    if mine.empty:
        return ""
    runs = mine.groupby(["replicate", "world"], sort=False)[["gained", "lost"]].sum()
    means = runs.groupby(level="world", sort=False).mean()
    last = mine[mine["day"] == mine["day"].max()]
    at_end = last.groupby(["replicate", "world"], sort=False)["followers"].sum()
    table = _html_table(
        {
            "gained": means["gained"],
            "lost": means["lost"],
            "net": means["gained"] - means["lost"],
            "followers at the end": at_end.groupby(level="world", sort=False).mean(),
        },
        {},
    )
    return (
        "<h3>Brand followers in each world</h3>"
        + table
        + "<p class='note'>Over the run (replicate means, brand accounts): follows after seeing "
        "a post (more among people the page's ads reached: the halo), unfollows from fatigue "
        "(too many impressions of the brand, organic or paid). (baseline) is the organic "
        "world without any strategy or tactic; followers.csv has them per day.</p>"
    )


def _html_table(columns: dict[str, Any], kinds: dict[str, str]) -> str:
    """A small HTML table from named columns sharing an index (the row labels)."""
    names = list(columns)
    index = list(next(iter(columns.values())).index)
    head = "<tr><th></th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"
    rows = []
    for label in index:
        cells = "".join(
            f"<td>{html.escape(fmt(float(columns[n][label]), kinds.get(n, 'int')))}</td>"
            for n in names
        )
        shown = PLAIN_NAMES.get(str(label), str(label))
        rows.append(f"<tr><td>{html.escape(shown)}</td>{cells}</tr>")
    return (
        f"<div class='scroll'><table><thead>{head}</thead><tbody>{''.join(rows)}</tbody>"
        "</table></div>"
    )


def img_tag(fig, alt: str) -> str:
    from .plots import png_base64

    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png_base64(fig)}">'


SUMMARY_COLUMNS_PER_TABLE = 5  # wider summaries are split, so a printed page never cuts one


def _summary_table(
    summary: pd.DataFrame, replicates: int, feed: bool, privacy: bool = False
) -> str:
    names = list(summary.index)
    parts = [
        names[i : i + SUMMARY_COLUMNS_PER_TABLE]
        for i in range(0, len(names), SUMMARY_COLUMNS_PER_TABLE)
    ]
    tables = []
    for part in parts:
        head = "".join(f"<th>{html.escape(str(n))}</th>" for n in part)
        rows = []
        for col, header, kind in summary_rows(feed, privacy):
            if col not in summary:
                continue
            cells = []
            for name in part:
                cell = html.escape(fmt(summary.at[name, col], kind))
                if replicates > 1 and f"{col}_lo" in summary and col != "audience_size":
                    shown = fmt_range(summary.at[name, f"{col}_lo"], summary.at[name, f"{col}_hi"],
                                      kind)  # fmt: skip
                    if shown:
                        cell += f'<br><span class="range">{html.escape(shown)}</span>'
                cells.append(f"<td>{cell}</td>")
            rows.append(f"<tr><th>{html.escape(header)}</th>{''.join(cells)}</tr>")
        thead = f"<thead><tr><th>metric</th>{head}</tr></thead>"
        tables.append(
            f"<div class='scroll'><table class='summary'>{thead}<tbody>{''.join(rows)}</tbody>"
            "</table></div>"
        )
    return "".join(tables)


def _without_nulls(value: Any) -> Any:
    """The audience as written: defaults left empty (``null``) are dropped."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _assumptions(scenario: dict[str, Any], manifest: dict[str, Any]) -> str:
    if not scenario:
        return "<p class='note'>The scenario was not saved with these results.</p>"
    pop, plat, app = scenario["population"], scenario["platform"], scenario["app"]
    real = pop["agents"] * pop["scale"]
    opt, market, attr = plat["optimiser"], plat["market"], plat["attribution"]
    items = [
        f"{pop['agents']:,} simulated people, each standing for {pop['scale']:g} real people "
        f"({real:,.0f} platform users) in {len(pop['regions'])} region(s); "
        f"{len(pop['interests'])} interest topics; {len(scenario['accounts'])} named accounts.",
        f"{scenario['horizon_days']} days in {scenario['slot_h']:g} h slots; budgets reset at "
        f"midnight UTC{scenario['clock_utc_offset_h']:+g}; market mode: "
        f"{scenario['market_mode']}.",
        f"Competing bids: median eCPM ${market['cpm_median_usd']:g} (lognormal sigma "
        f"{market['sigma']:g}); {plat['auction'].replace('_', ' ')} auction, reserve "
        f"${plat['reserve_cpm_usd']:g} CPM; {plat['feed_items_per_session']:g} feed items a "
        f"session, {plat['ad_load']:.0%} of them ads.",
        f"The platform's optimiser: {opt['mode']} (features: {', '.join(opt['features'])}); "
        f"prior {opt['prior_install_per_click']:g} installs per click, worth "
        f"{opt['prior_strength_installs']:g} installs per feature cell; refit every "
        f"{opt['update_every_h']:g} h, installs reported after {opt['report_delay_h']:g} h.",
        f"Attribution: last click within {attr['click_window_days']:g} days, else last view "
        f"within {attr['view_window_days']:g} day(s).",
        f"The app ({', '.join(app['os'])}): {app['store_cvr']:.0%} installs per intended click "
        f"at average fit; {app['baseline_installs_per_day']:g} organic installs per person-day; "
        f"{app['already_installed_share']:.1%} already have it; fit by "
        + (", ".join(k for k, v in app["fit"].items() if v) or "nothing")
        + ".",
    ]
    rows = "".join(f"<li>{html.escape(t)}</li>" for t in items)
    strat_rows = []
    for s in scenario["strategies"]:
        budget = ", ".join(f"{k.removesuffix('_usd')} ${v:,.0f}" for k, v in s["budget"].items()
                           if v is not None)  # fmt: skip
        bid = s["bid"]["strategy"] + (
            f" ${s['bid']['amount_usd']:g}" if "amount_usd" in s["bid"] else ""
        )
        audience = audience_words(_without_nulls(s["audience"]))
        strat_rows.append(
            f"<tr><td>{html.escape(s['name'])}</td><td class='wrap'>"
            f"{html.escape(audience)}</td><td>{html.escape(bid)}</td>"
            f"<td>{html.escape(budget)}</td><td>{html.escape(s['pacing'])}</td></tr>"
        )
    versions = manifest.get("versions", {})
    command = manifest.get("command")
    made = ", ".join(f"{k} {v}" for k, v in versions.items())
    return (
        f"<ul>{rows}</ul><table><thead><tr><th>strategy</th>"
        "<th style='text-align:left'>audience</th><th>bid</th>"
        f"<th>budget</th><th>pacing</th></tr></thead><tbody>{''.join(strat_rows)}</tbody>"
        f"</table><p class='note'>Scenario SHA-256 "
        f"{html.escape(str(manifest.get('scenario_sha256', '?')))}"
        f"{'; ' + html.escape(made) if made else ''}."
        + (f" Command: <code>{html.escape(command)}</code>" if command else "")
        + "</p>"
    )


def render_html(data: ReportData) -> str:
    """The report as one HTML string."""
    from . import plots

    m = data.manifest
    reps = int(m.get("replicates", 1))
    names = list(data.summary.index)
    title = html.escape(str(m.get("scenario", "adsim run")))
    created = html.escape(str(m.get("created_utc", "")))
    body: dict[str, str] = {}
    feed = bool(data.scenario.get("platform", {}).get("feed"))
    privacy = bool(data.scenario.get("privacy"))
    body["summary"] = _summary_table(data.summary, reps, feed, privacy) + (
        "<p class='note'>Mean over replicates, and under it the 5th-95th percentile.</p>"
        if reps > 1
        else "<p class='note'>One replicate: no ranges. One draw cannot rank strategies; "
        "run with <code>--replicates auto</code> (the default) or 20+.</p>"
    )
    body["cpi"] = img_tag(plots.cpi_chart(data.summary), "CPI and incremental CPI per strategy") + (
        "<p class='note'>The same figures as the table (total spend / total installs over the "
        "replicates), cheapest first; the bars' lines are the 5th-95th percentile across "
        "replicates. A red arrow to the edge (→∞): the range has no upper end, because some "
        "replicates bought no install at all, so the figure is far less certain than it "
        "looks. A log axis is used when one figure is ten times another or more.</p>"
    )
    if reps > 1 and len(names) > 1:
        body["wins"] = (
            img_tag(plots.win_matrix_chart(data.win_matrix), "pairwise CPI win matrix")
            + (
                f"<p class='note'>Share of the {reps} paired replicates (same random draws) in "
                "which the row strategy had the lower CPI than the column strategy.</p>"
            )
            + _ranking_html(data.manifest.get("ranking"), reps)
        )
    else:
        body["wins"] = (
            "<p class='note'>Needs two or more strategies and replicates "
            "(<code>--replicates</code>).</p>"
        )
    events = data.events if data.events is not None and not data.events.empty else None
    body["daily"] = img_tag(
        plots.daily_chart(data.timeseries, names, events), "daily spend, installs, CPI"
    ) + (
        "<p class='note'>Shaded: the calendar's events while they air (events.csv).</p>"
        if events is not None
        else ""
    )
    body["calendar"] = _calendar(data, events)
    body["reach"] = img_tag(plots.reach_chart(data.timeseries, names), "reach and frequency")
    body["audience"] = img_tag(
        plots.audience_chart(data.summary, data.audience_overlap), "audience sizes and overlaps"
    )
    body["breakdowns"] = "".join(
        f"<h3>By {by}</h3>"
        + img_tag(
            plots.breakdown_chart(
                data.breakdown[data.breakdown["dimension"] == by].rename(columns={"group": by}),
                by,
            ),
            f"delivery and CPI by {by}",
        )
        for by in DIMENSIONS
        if (data.breakdown["dimension"] == by).any()
    )
    body["organic"] = _organic(data)
    body["assumptions"] = _assumptions(data.scenario, m)
    body["caveats"] = _CAVEATS
    text = data.scenario.get("description") or ""
    description = f"<p class='lead'>{html.escape(text)}</p>" if text else ""
    said = (m.get("verdict") or {}).get("text")
    verdict = f'<p class="verdict" id="verdict">{html.escape(said)}</p>' if said else ""
    sections = "".join(
        f'<section id="{sid}"><h2>{html.escape(heading)}</h2>{body[sid]}</section>'
        for sid, heading in REPORT_SECTIONS
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}: adsim report</title><style>{CSS}</style></head><body>"
        f"<h1>{title}</h1>{description}<p class='sub'>adsim report: seed {m.get('seed', '?')}, "
        f"{reps} replicate(s), {len(names)} strategies; made {created}</p>{verdict}"
        f"{sections}</body></html>"
    )


def write_report(data: ReportData, path: str | Path) -> Path:
    """Write the report to ``path`` (written whole: a temporary file, then renamed)."""
    path = Path(path)
    text = render_html(data)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
