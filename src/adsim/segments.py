"""Compile audience expressions into boolean masks over the population.

Static predicates compile to a mask once per run. The platform-style audience size is the
mask count x scale, rounded to two significant figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .kernels.targeting import lookalike_scores, within_radius
from .params import Params, SegmentNode
from .population import Population
from .scenario.common import GENDERS, OS_NAMES
from .scenario.segments import TIME_BOUND_KEYS

__all__ = [
    "TimeBound",
    "audience_masks",
    "compile_segment",
    "event_index",
    "is_time_bound",
    "overlap_matrix",
    "platform_round",
]

_LAPLACE = 0.5  # pseudo-count for look-alike rates, so unseen traits get finite weights


def platform_round(people: float) -> int:
    """Round to two significant figures, as ad platforms report audience sizes.

    A non-empty audience never reports 0: with ``scale`` below 1 an agent is part of a
    person, and an audience that is reached must not read as empty."""
    if people <= 0:
        return 0
    digits = 2 - 1 - math.floor(math.log10(people))
    return max(1, int(round(people, digits)))


def _interest_bits(topics: list[str], p: Params) -> np.ndarray:
    bits = np.zeros(2, dtype=np.uint64)
    for name in topics:
        k = p.topic_names.index(name)
        bits[k >> 6] |= np.uint64(1) << np.uint64(k & 63)
    return bits


def _followers(handles: list[str], p: Params, pop: Population) -> np.ndarray:
    mask = np.zeros(pop.n, dtype=np.bool_)
    index = {a.handle: n for n, a in enumerate(p.accounts)}
    for h in handles:
        mask[pop.followers_of(index[h.lower()])] = True
    return mask


def _log_ratio(seed_hits: np.ndarray, seed_n: int, all_hits: np.ndarray, all_n: int) -> np.ndarray:
    return np.log((seed_hits + _LAPLACE) / (seed_n + 2 * _LAPLACE)) - np.log(
        (all_hits + _LAPLACE) / (all_n + 2 * _LAPLACE)
    )


def _lookalike(args: dict, p: Params, pop: Population, seed: np.ndarray) -> np.ndarray:
    """Top ``share`` of non-seed agents by how much what the platform observes of them
    (interests, age, region, gender, device) resembles the seed: the followers of some
    accounts, a customer list, the app's installers or site visitors (naive-Bayes
    log-likelihood ratio)."""
    n_seed, n = int(seed.sum()), pop.n
    n_topics = len(p.topic_names)
    held = (
        np.stack([pop.holds_topic(k) for k in range(n_topics)], axis=1)
        if n_topics
        else np.zeros((n, 0))
    )
    held_all, held_seed = held.sum(axis=0), held[seed].sum(axis=0)
    w_held = _log_ratio(held_seed, n_seed, held_all, n)
    w_absent = _log_ratio(n_seed - held_seed, n_seed, n - held_all, n)
    age_bin = np.minimum(pop.age // 10, 9).astype(np.int64)
    w_age = _log_ratio(
        np.bincount(age_bin[seed], minlength=10), n_seed, np.bincount(age_bin, minlength=10), n
    )
    n_reg = len(p.region_names)
    w_region = _log_ratio(
        np.bincount(pop.region[seed], minlength=n_reg),
        n_seed,
        np.bincount(pop.region, minlength=n_reg),
        n,
    )
    w_gender, w_device = (
        _log_ratio(np.bincount(x[seed], minlength=3), n_seed, np.bincount(x, minlength=3), n)
        for x in (pop.gender, pop.device)
    )
    scores = lookalike_scores(
        pop.interests, age_bin, pop.region.astype(np.int64), pop.gender, pop.device,
        w_held.astype(np.float64), w_absent.astype(np.float64), w_age.astype(np.float64),
        w_region.astype(np.float64), w_gender, w_device,
    )  # fmt: skip
    scores[seed] = -np.inf
    k = min(round(args["share"] * n), n - n_seed)
    mask = np.zeros(n, dtype=np.bool_)
    if k > 0 and n_seed > 0:
        # Stable sort on (-score, id) so ties resolve the same way on every machine.
        mask[np.lexsort((np.arange(n), -scores))[:k]] = True
    return mask


def _site_visitors(args: dict, pop: Population) -> np.ndarray:
    """People in the market for the app at some time in the ``lookback_days`` before the run
    (they visited its site or store page), of whom a ``match_rate`` share is matched to
    platform accounts, as a pixel or CRM list would be."""
    lookback_h = args["lookback_days"] * 24.0
    owner = np.repeat(np.arange(pop.n), np.diff(pop.episode_ptr))
    recent = (pop.episode_end_h > -lookback_h) & (pop.episode_start_h < 0.0)
    mask = np.zeros(pop.n, dtype=np.bool_)
    mask[owner[recent]] = True
    # Which visitors match is a fixed property of the replicate's people, not of the segment.
    matched = np.random.default_rng([int(pop.affinity_key), 0x5172]).random(pop.n)
    return mask & (matched < args["match_rate"])


def is_time_bound(node: SegmentNode) -> bool:
    """Whether the expression's members change during the run (event, tv, keywords,
    conversation predicates; a look-alike's seed never is)."""
    if node.kind in TIME_BOUND_KEYS:
        return True
    return node.kind in ("all", "any", "not") and any(is_time_bound(c) for c in node.children)


TimeBound = Callable[[SegmentNode], np.ndarray]


def event_index(node: SegmentNode, p: Params) -> int:
    """The calendar event an ``event`` or ``tv`` predicate names."""
    assert p.calendar is not None  # the scenario checks event and tv need a calendar
    return p.calendar.event_names.index(node.args.get("name") or node.args["show"])


def _bound(node: SegmentNode, p: Params, pop: Population, upper: bool) -> np.ndarray:
    """Who a time-bound predicate may ever hold (upper) or always holds (lower: nobody):
    an event's followers, or anyone for talk (people outside a topic use its words too)."""
    if not upper:
        return np.zeros(pop.n, dtype=np.bool_)
    if node.kind in ("event", "tv"):
        return pop.event_engaged[event_index(node, p)].astype(np.bool_)
    return np.ones(pop.n, dtype=np.bool_)


def compile_segment(
    node: SegmentNode,
    p: Params,
    pop: Population,
    timed: TimeBound | None = None,
    cache: dict[int, np.ndarray] | None = None,
    _upper: bool = True,
) -> np.ndarray:
    """Evaluate a segment expression to a boolean mask of length N.

    Time-bound predicates are read by ``timed`` (the calendar's state now); without it the
    mask is everyone the expression may ever hold (time-bound predicates at their upper
    bound, or lower bound under a ``not``). ``cache`` keeps the masks of static
    sub-expressions across calls (by node identity), so re-evaluating a time-bound audience
    every slot costs only its time-bound parts and the boolean algebra."""
    kind, a = node.kind, node.args
    if cache is not None and not is_time_bound(node):
        if id(node) not in cache:
            cache[id(node)] = compile_segment(node, p, pop)
        return cache[id(node)]
    if kind == "all":
        mask = np.ones(pop.n, dtype=np.bool_)
        for child in node.children:
            mask &= compile_segment(child, p, pop, timed, cache, _upper)
        return mask
    if kind == "any":
        mask = np.zeros(pop.n, dtype=np.bool_)
        for child in node.children:
            mask |= compile_segment(child, p, pop, timed, cache, _upper)
        return mask
    if kind == "not":
        return ~compile_segment(node.children[0], p, pop, timed, cache, not _upper)
    if kind in TIME_BOUND_KEYS:
        return _bound(node, p, pop, _upper) if timed is None else timed(node)
    if kind == "everyone":
        return np.ones(pop.n, dtype=np.bool_)
    if kind == "age":
        return (pop.age >= a["min"]) & (pop.age <= a["max"])
    if kind == "gender":
        return np.isin(pop.gender, [GENDERS.index(g) for g in a["values"]])
    if kind == "device":
        return np.isin(pop.device, [OS_NAMES.index(o) for o in a["values"]])
    if kind == "country":
        wanted = [p.country_codes.index(c) for c in a["values"]]
        return np.isin(p.region_country[pop.region], wanted)
    if kind == "region":
        return np.isin(pop.region, [p.region_names.index(r) for r in a["values"]])
    if kind == "language":
        return np.isin(pop.language, [p.languages.index(x) for x in a["values"]])
    if kind == "radius":
        return within_radius(pop.lat, pop.lon, a["lat"], a["lon"], a["km"])
    if kind == "interests":
        bits = _interest_bits(a["any"] or a["all"], p)
        hit = pop.interests & bits[None, :]
        if a["any"] is not None:
            return (hit != 0).any(axis=1)
        return (hit == bits[None, :]).all(axis=1)
    if kind == "followers_of":
        return _followers(a["values"], p, pop)
    if kind == "lookalike":
        seed = _followers(a["of"], p, pop) if a["of"] else compile_segment(node.children[0], p, pop)
        return _lookalike(a, p, pop, seed)
    if kind == "custom_audience":
        mask = np.zeros(pop.n, dtype=np.bool_)
        mask[np.asarray(a["agent_ids"], dtype=np.int64)] = True
        return mask
    if kind == "site_visitors":
        return _site_visitors(a, pop)
    if kind == "installed":
        return pop.has_app.copy() if a["values"] else ~pop.has_app
    raise ValueError(f"unknown segment predicate {kind!r}")


def audience_masks(p: Params, pop: Population) -> np.ndarray:
    """(S, N) uint8: 1 where strategy s targets agent i (before dynamic install exclusion);
    a time-bound audience at everyone it may ever hold."""
    masks = np.zeros((len(p.strategies), pop.n), dtype=np.uint8)
    for s, strat in enumerate(p.strategies):
        masks[s] = compile_segment(strat.audience, p, pop)
    return masks


def overlap_matrix(masks: np.ndarray) -> np.ndarray:
    """Share of row strategy's audience that is also in column strategy's audience.

    Pair by pair over the (S, N) masks: no (S, N) float copy, so memory stays at the masks."""
    n_strat = masks.shape[0]
    bool_masks = masks.astype(np.bool_, copy=False)
    inter = np.zeros((n_strat, n_strat))
    for s in range(n_strat):
        for o in range(s, n_strat):
            inter[s, o] = inter[o, s] = np.count_nonzero(bool_masks[s] & bool_masks[o])
    sizes = np.diag(inter)
    return np.divide(inter, sizes[:, None], out=np.zeros_like(inter), where=sizes[:, None] > 0)
