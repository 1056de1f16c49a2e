"""What every output column means and its unit: the single source for docs/outputs.md and for
the check that every column written is documented."""

from __future__ import annotations

__all__ = ["COUNT_COLUMNS", "FILES", "METRIC_DOCS", "SWEEP_FILES", "outputs_reference"]

# Summary metrics: (unit, meaning). Counts are of real people and events (agents x scale).
METRIC_DOCS: dict[str, tuple[str, str]] = {
    "audience_size": (
        "people",
        "People in the strategy's audience, rounded as platforms show it (an organic "
        "tactic: its account's followers at the start; shares and hashtags reach beyond)",
    ),
    "spend_usd": ("USD", "Money spent over the run"),
    "auctions": ("count", "Auctions the strategy entered"),
    "win_rate": ("share", "impressions / auctions"),
    "impressions": ("count", "Ads shown"),
    "reach": ("people", "Distinct people shown the ad at least once"),
    "frequency": ("per person", "impressions / reach"),
    "clicks": ("count", "Clicks, accidental ones included"),
    "ctr": ("share", "clicks / impressions"),
    "installs": (
        "count",
        "Installs attributed to the strategy (last touch: clicks before views), as simulated "
        "(counts of simulated installs x scale, no variance reduction)",
    ),
    "installs_click": ("count", "Attributed installs after a click, within the click window"),
    "installs_view": ("count", "Attributed installs after an unclicked view, in the view window"),
    "cvr": ("share", "installs_click / clicks"),
    "cpm_usd": ("USD per 1,000", "spend_usd x 1000 / impressions"),
    "cpc_usd": ("USD", "spend_usd / clicks"),
    "cpi_usd": ("USD", "spend_usd / installs: the cost per attributed install; empty if none"),
    "incremental_installs": (
        "count",
        "Installs with the strategy minus installs in the same world without it (common random "
        "numbers); can be negative in a shared market",
    ),
    "icpi_usd": ("USD", "spend_usd / incremental_installs; empty when those are not positive"),
    "budget_used": ("share", "spend_usd / the budget over the flight"),
    "learning_exit_day": (
        "day",
        "First day (0-based) by whose end the platform had received platform.optimiser."
        "learning_installs installs within learning_days days (the learning phase ended). "
        "What it receives: each impression's expected attributed installs with Poisson noise "
        "at the real scale (README, 'Feedback at real scale'); empty if never",
    ),
    "followers_gained": (
        "people",
        "Brand accounts' (kind: brand) followers gained less lost in the strategy's world, "
        "minus the same in the world without it: follows from views and paid halo, less "
        "unfollows from fatigue; 0 without the feed or when its ads run as no account",
    ),
    "engagements": (
        "count",
        "Likes and shares of every organic post in the strategy's world minus the world "
        "without it (boosted views and paid halo included; fatigue can make it negative)",
    ),
    "installs_platform": (
        "count",
        "Installs the ad manager reports: tracked ones, SKAN postbacks at or above the "
        "privacy threshold, and its modelled installs (scenario privacy; equals installs "
        "without it)",
    ),
    "cpi_platform_usd": ("USD", "spend_usd / installs_platform: the CPI the ad manager shows"),
    "installs_mmp": (
        "count",
        "Installs the advertiser's measurement partner credits to the strategy: tracked ones "
        "and SKAN postbacks; other non-consented installs count as organic",
    ),
    "cpi_mmp_usd": ("USD", "spend_usd / installs_mmp: the CPI the advertiser's own tools show"),
}
# Columns that count people or events: written as whole numbers.
COUNT_COLUMNS = frozenset(
    m for m, (unit, _) in METRIC_DOCS.items() if unit in ("count", "people")
) | {
    "reach_cum",
    "views",
    "likes",
    "shares",
    "link_clicks",
    "page_followers",
    "ads",
    "brand_posts",
    "gained",
    "lost",
    "installs_world",
    "installs_without",
    "followers",
    "follows",
    "hides",
    "baseline",
    "credited_not_caused",
    "sessions",
}

_RANGE = (
    "With replicates > 1, every metric also has `<metric>_lo` and `<metric>_hi`: the 5th and "
    "95th percentiles across replicates (a 90% range). Counts are replicate means; rates and "
    "unit costs are ratios of those means (CPI = mean spend / mean installs). In the ranges a "
    "replicate that spent without installs has an unbounded cost (inf)."
)

# file -> (what it holds, {column: (unit, meaning)})
FILES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "summary.csv": (
        "One row per strategy. " + _RANGE,
        {"strategy": ("", "The strategy's name"), **METRIC_DOCS},
    ),
    "timeseries.parquet": (
        "One row per replicate, strategy and day (the advertiser's days).",
        {
            "replicate": ("", "Replicate number, from 0"),
            "strategy": ("", "The strategy's name"),
            "day": ("day", "Day of the run, from 0"),
            "spend_usd": ("USD", "Spent that day"),
            "auctions": ("count", "Auctions entered that day"),
            "impressions": ("count", "Ads shown that day"),
            "clicks": ("count", "Clicks that day"),
            "installs": ("count", "Attributed installs that day"),
            "incremental_installs": (
                "count",
                "Installs that day with the strategy minus without it; a day can be negative "
                "(an ad can pull an install forward)",
            ),
            "installs_world": (
                "count",
                "Every install that day in the strategy's world, attributed or organic (in a "
                "shared market: the whole market's, the same for every strategy)",
            ),
            "installs_without": (
                "count",
                "Every install that day in the same world without the strategy (isolated: the "
                "organic baseline, the same for every strategy)",
            ),
            "reach_cum": ("people", "Distinct people reached up to the end of that day"),
            "sessions": (
                "count",
                "Sessions on the whole platform that day (weekday, season and events move it; "
                "the same for every strategy)",
            ),
            "market_cpm_usd": (
                "USD",
                "The rest of the market's mean competing eCPM over that day's ad slots (the "
                "calendar's multipliers move it; the same for every strategy)",
            ),
            "date": ("date", "The day's date (only with calendar.start_date)"),
        },
    ),
    "hourly.parquet": (
        "One row per replicate, paid strategy and slot of the run (slot_h long).",
        {
            "replicate": ("", "Replicate number, from 0"),
            "strategy": ("", "The strategy's name"),
            "slot": ("", "Slot of the run, from 0"),
            "hour": ("h", "The slot's start, hours from the run's start (advertiser's clock)"),
            "date": ("date", "The slot's start as date and time (only with calendar.start_date)"),
            "spend_usd": ("USD", "Spent in the slot"),
            "auctions": ("count", "Auctions entered in the slot"),
            "impressions": ("count", "Ads shown in the slot"),
            "clicks": ("count", "Clicks in the slot"),
            "sessions": ("count", "Sessions on the whole platform in the slot"),
            "market_cpm_usd": ("USD", "The rest of the market's mean competing eCPM in the slot"),
        },
    ),
    "events.csv": (
        "One row per airing of a calendar event (empty without a calendar).",
        {
            "event": ("", "The event's name"),
            "kind": ("", "sport, tv, conference, sale or other"),
            "topic": ("", "The interest topic it belongs to (empty: everyone)"),
            "start_h": ("h", "Start, hours from the run's start"),
            "end_h": ("h", "End, hours from the run's start"),
            "start": ("date", "Start as date and time (only with calendar.start_date)"),
            "end": ("date", "End as date and time (only with calendar.start_date)"),
        },
    ),
    "breakdown.csv": (
        "One row per breakdown dimension, strategy and group (age bands are the scenario's "
        "own). " + _RANGE,
        {
            "dimension": ("", "age, gender, region or device"),
            "strategy": ("", "The strategy's name"),
            "group": ("", "The age band, gender, region name or device operating system"),
            "impressions": ("count", "Ads shown to the group"),
            "reach": ("people", "Distinct people of the group reached"),
            "spend_usd": ("USD", "Spent on the group's impressions"),
            "installs": ("count", "Attributed installs by the group's people"),
            "cpi_usd": ("USD", "spend_usd / installs (of the replicate means)"),
        },
    ),
    "win_matrix.csv": (
        "Rows and columns are strategies.",
        {
            "strategy": ("", "The row strategy"),
            "<strategy>": (
                "share",
                "Share of paired replicates in which the row strategy's CPI is lower than the "
                "column strategy's",
            ),
        },
    ),
    "audience_overlap.csv": (
        "Rows and columns are strategies.",
        {
            "strategy": ("", "The row strategy"),
            "<strategy>": (
                "share",
                "Share of the row strategy's audience also in the column strategy's (mean over "
                "replicates)",
            ),
        },
    ),
    "posts.csv": (
        "One row per organic post and replicate (only the header when the scenario has no "
        "feed). Counts are real people and events.",
        {
            "replicate": ("", "Replicate number, from 0"),
            "post": ("", "The post's number in the replicate, in time order"),
            "account": ("", "The posting account's handle"),
            "tactic": (
                "",
                "The organic tactic it belongs to, or (standing) for the standing posting",
            ),
            "time_h": ("hour", "When it was posted, hours from the run's start"),
            "page_followers": ("people", "The account's followers when it was posted"),
            "views": ("count", "Times it was shown (each person at most once)"),
            "reach": (
                "people",
                "Distinct people who saw it: followers, sharers' followers, topic browsers",
            ),
            "reach_share_24h": (
                "share",
                "Share of the page's followers (at posting, or who followed within 24 h) who "
                "saw it within 24 h (empty for posts less than 24 h before the run's end)",
            ),
            "likes": ("count", "Likes"),
            "shares": ("count", "Shares: the size of its cascade"),
            "cascade_depth": ("hops", "Longest chain of shares (0: nobody shared it)"),
            "link_clicks": ("count", "Clicks on its app link"),
            "installs": ("count", "Installs its link clicks drove, in its own world"),
            "engagement_rate": ("share", "(likes + shares) / views"),
            "follows": ("people", "Non-followers who followed the account after seeing it"),
            "hides": (
                "people",
                "Viewers who then hid the account (fatigue; followers among them unfollowed)",
            ),
        },
    ),
    "followers.csv": (
        "One row per replicate, world, account and day (only the header without the feed). "
        "World (baseline) is the organic baseline; a strategy's or tactic's world is the one "
        "with it. Real people.",
        {
            "replicate": ("", "Replicate number, from 0"),
            "world": ("", "(baseline), or the strategy or tactic whose world it is"),
            "account": ("", "The account's handle"),
            "day": ("day", "Day of the run, from 0"),
            "gained": ("people", "New followers that day (follows after seeing its posts)"),
            "lost": ("people", "Followers who unfollowed that day (fatigue)"),
            "followers": ("people", "Followers at the day's end"),
        },
    ),
    "install_sources.csv": (
        "What caused the installs in each strategy's world over the run (replicate means, real "
        "installs). An install belongs to what set its time: an ad (click or view), a brand "
        "post's link seen directly or through a share, or nothing (the baseline: people who "
        "install anyway). For an organic tactic, its world (no ads).",
        {
            "strategy": ("", "The strategy's or tactic's name"),
            "ads": ("count", "Installs the world's ads caused (or brought forward)"),
            "brand_posts": ("count", "Installs from a brand post's link, seen directly"),
            "shares": ("count", "Installs from a brand post's link, seen through a share"),
            "baseline": ("count", "Installs with no ad and no post behind them"),
            "credited_not_caused": (
                "count",
                "Installs attribution credits to the strategy that its ads did not cause "
                "(what attributed installs overstate)",
            ),
        },
    ),
    "scenario.json": ("The scenario as run, with every default filled in.", {}),
    "manifest.json": (
        "What produced the results.",
        {
            "scenario": ("", "The scenario's name"),
            "scenario_sha256": ("", "Hash of scenario.json's content: same hash, same scenario"),
            "seed": ("", "The seed used"),
            "replicates": ("", "Number of replicates"),
            "strategies": ("", "Strategy names, in order"),
            "verdict": (
                "",
                "The planner's answer, as the terminal and the report print it: `text`, the "
                "`metric` ranked by, `leader` (highest P(best)), `pick` (the leader when the "
                "ranking is settled, else null), `tied` (within noise of the leader), `worse` "
                "(a 95% interval of the paired difference from the leader excludes zero) and "
                "`underspent` (strategies that spent under 90% of their budget: share spent)",
            ),
            "ranking": (
                "",
                "How sure the ranking by the run's metric (`metric`, CPI unless `--rank-by "
                "icpi`) is: `leader` (highest P(best)), `p_best` per strategy (share of "
                "Bayesian-bootstrap draws of the paired replicates in which it is cheapest), "
                "`replicates_needed` per pair (paired replicates for a 95% interval of the CPI "
                "difference to exclude zero) and `stopping` (how `--replicates auto` stopped; "
                "null otherwise)",
            ),
            "command": ("", "The command line that produced the run (null from Python)"),
            "created_utc": ("", "When the results were written (ISO 8601, UTC)"),
            "versions": ("", "Versions of adsim, Python, numpy, numba and pandas"),
        },
    ),
}


_PARAMS = (
    "",
    "One column per sweep parameter (its scenario path, or budget_scale): the point's value",
)
_STAT = " (mean over replicates; `_lo`/`_hi`: 5th and 95th percentiles)"

# Files `adsim sweep SPEC --out DIR` writes besides manifest.json and runs/ (one Parquet file of
# rows per finished point and replicate). "<parameter>" stands for each parameter's column.
SWEEP_FILES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "points.csv": ("The sweep's points, written before any runs.", {
        "point": ("", "The point's number"), "<parameter>": _PARAMS,
    }),
    "rows.parquet": ("Tidy rows: one per point, replicate and strategy, with every summary "
                     "metric of that replicate.", {
        "point": ("", "The point's number"),
        "replicate": ("", "The replicate (the same streams at every point)"),
        "strategy": ("", "The strategy or organic tactic"),
        "<parameter>": _PARAMS,
        "budget_usd": ("USD", "The strategy's flight budget at the point"),
        "<metric>": ("", "Every column of summary.csv without `_lo`/`_hi`, for this replicate"),
    }),
    "summary.csv": ("Per point and strategy, the run summary (summary.csv of `adsim run`) "
                    "over the point's replicates, after `point` and the parameter columns.", {}),
    "winners.csv": ("Per point, the leading strategy, how sure, and what it spent.", {
        "point": ("", "The point's number"),
        "winner": ("", "The strategy with the highest P(best) by the spec's rank_by (a ratio "
                       "of replicate means)"),
        "p_best": ("share", "Its P(best): share of Bayesian-bootstrap draws of the paired "
                            "replicates in which it is cheapest"),
        "winner_spend_usd": ("USD", "What the winner spent (mean over replicates)"),
        "winner_budget_used": ("share", "Its spend / its budget: a winner well under 1 won on "
                                        "a cost that buys little volume"),
        "<parameter>": _PARAMS,
    }),
    "budget_curves.csv": ("budget_scale sweeps: each paid strategy's budget curve.", {
        "strategy": ("", "The paid strategy"),
        "budget_scale": ("x", "Multiplier of the scenario's budgets"),
        "budget_usd": ("USD", "The flight budget at that scale"),
        "spend_usd": ("USD", "Money spent (mean over replicates)"),
        "installs": ("count", "Attributed installs (mean over replicates)"),
        "incremental_installs": ("count", "Installs caused" + _STAT),
        "incremental_installs_lo": ("count", "5th percentile over replicates"),
        "incremental_installs_hi": ("count", "95th percentile over replicates"),
        "icpi_usd": ("USD", "spend_usd / incremental_installs"),
        "marginal_icpi_usd": ("USD", "Extra spend / extra incremental installs from the next "
                                     "smaller budget (from zero at the smallest)"),
        "on_envelope": ("", "True where the budget is a corner of the curve's concave envelope "
                            "(what the allocator uses); False at a dip it bridges"),
    }),
    "allocation.csv": ("With allocate: the recommended split and the splits it is compared "
                       "with.", {
        "strategy": ("", "The paid strategy"),
        "recommended_budget_usd": ("USD", "Its flight budget in the recommended split"),
        "recommended_scale": ("x", "That budget / the scenario's (0: fund with nothing)"),
        "marginal_icpi_usd": ("USD", "Cost of its next incremental install at the split"),
        "even_budget_usd": ("USD", "Its budget in an even split of the same total"),
        "current_mix_budget_usd": ("USD", "Its budget in the scenario's mix scaled to the total"),
    }),
    "allocation_outcomes.csv": ("With allocate: what each split buys.", {
        "split": ("", "recommended, even or current_mix"),
        "incremental_installs": ("count", "Total incremental installs on the mean curves"),
        "incremental_installs_lo": ("count", "5th percentile over the replicates' own curves"),
        "incremental_installs_hi": ("count", "95th percentile over the replicates' own curves"),
        "within_curves": ("", "false: part of the split lies beyond the largest simulated "
                              "budget and is counted at it"),
    }),
    "robustness.csv": ("Random and lhs sweeps: what moves the ranking, most first.", {
        "assumption": ("", "The parameter"),
        "winner_shift": ("0-1", "Total-variation distance between the winners of the points "
                                "below and above its median (0: no effect; 1: decides)"),
        "rho_<strategy>": ("-1 to 1", "Spearman correlation of the parameter with the "
                                      "strategy's cost"),
    }),
}  # fmt: skip


def _sections(files: dict[str, tuple[str, dict[str, tuple[str, str]]]]) -> list[str]:
    lines = []
    for name, (what, columns) in files.items():
        lines.append(f"## {name}\n")
        lines.append(what + "\n")
        if columns:
            lines.append("| column | unit | meaning |")
            lines.append("|---|---|---|")
            lines += [f"| `{c}` | {unit} | {meaning} |" for c, (unit, meaning) in columns.items()]
            lines.append("")
    return lines


def outputs_reference() -> str:
    """The Markdown reference of every output file and column (docs/outputs.md)."""
    lines = [
        "# Output reference\n",
        "Generated by `adsim docs` from `adsim.columns` (a test checks it is current): do not "
        "edit by hand. `adsim run --out DIR` writes these files; counts are of real people and "
        "events (agents x scale), money is in US dollars. `--format json` prints the summary "
        "rows with the manifest as `metadata`.\n",
        *_sections(FILES),
        "# Sweep outputs\n",
        "`adsim sweep SPEC --out DIR` writes `manifest.json` (the sweep's fingerprint, spec, "
        "versions, command, start and end), `runs/` (one Parquet file of rows per finished "
        "point and replicate, as in rows.parquet) and, at the end, these files.\n",
        *_sections(SWEEP_FILES),
    ]
    return "\n".join(lines).rstrip() + "\n"
