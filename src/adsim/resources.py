"""How much memory a run needs, estimated from its parameters before anything is built.

The estimate counts the arrays the population, the follow graph and the engine hold (their
sizes follow from the scenario: agents, strategies, worlds, follow edges, sessions per slot)
plus the largest temporaries of each phase, and a fixed base (the interpreter, numpy, numba
and the compiled kernels). ``benchmarks/memory.py`` prints it next to the measured peak.

Not counted: the very first run after an install compiles the kernels (numba caches them on
disk), which holds about 200-300 MiB more for those about 30-60 s.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .params import Params

__all__ = [
    "MemoryEstimate",
    "MemoryLimitError",
    "available_memory_bytes",
    "check_memory",
    "estimate_memory",
    "format_bytes",
    "parse_bytes",
    "peak_resident_bytes",
]

# Resident set of a process that has imported adsim and loaded its compiled kernels (measured
# with benchmarks/memory.py on CPython 3.11 / numpy 2 / numba 0.6x, Linux x86-64).
BASE_BYTES = 175 * 2**20

# Bytes per agent of the population's own arrays (population/build.py): age, gender, device,
# language (1 each), region (2), lat, lon (4 each), two interest words (16), sessions,
# app fit, organic install time, episode pointer, follow pointer (8 each), install odds,
# app-install propensity and the platform's estimate of it, two estimation errors, market
# multiplier (4 each), app available, has app (1 each).
POPULATION_BYTES_PER_AGENT = 94
# Temporaries of the follow-graph kernel (attractiveness, guide tables, raw degrees, degree,
# raw pointer, kept counts, final pointer) per agent, on top of the arrays above.
GRAPH_BUILD_BYTES_PER_AGENT = 56
# Per agent and strategy instance: frequency counters (2 x 2), wear, exposure, spend and the
# optimiser's estimate (4 each).
INSTANCE_BYTES_PER_AGENT = 20
# Per agent and strategy: audience mask, optimiser audience (1 each), base click rate (4).
STRATEGY_BYTES_PER_AGENT = 6
# Per agent and world: install time, last click and view times (8 each), their instances (2 each).
WORLD_BYTES_PER_AGENT = 28
# Per session in a slot: agent (4), time (8), local hour (8), ad pointer (8); per ad slot: the
# competing eCPM (8).
SESSION_BYTES = 28
AD_SLOT_BYTES = 8
# The organic feed per agent and exposure world: the inbox (8 places x (post 4 + time 4 +
# depth 1)) and per account a relation (1) and a fatigue count (4); per post a seen bit. Once
# per agent: the transposed follow pointers (2 x 8); per tactic world: an install time (8);
# per tactic: views (2) and driven installs (1); per account follow: its transpose (4).
FEED_INBOX_BYTES_PER_EXPOSURE_WORLD = 8 * 9
FEED_ACCOUNT_BYTES_PER_EXPOSURE_WORLD = 5
FEED_POINTER_BYTES_PER_AGENT = 16
# Observed categorical features per agent (age band, gender, region, device, activity band).
CATEGORICAL_FEATURES = ("age", "gender", "region", "device", "activity")


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak resident memory of one replicate, and its main parts (bytes)."""

    base: int
    population: int
    follow_graph: int
    graph_build: int
    engine: int
    run_temporaries: int

    @property
    def peak(self) -> int:
        resident = self.population + self.follow_graph
        building = resident + self.graph_build
        running = resident + self.engine + self.run_temporaries
        return self.base + max(building, running)


def _mean_sessions_per_day(p: Params) -> float:
    """E[min(cap, median x exp(sigma Z))] for a standard normal Z (a capped lognormal)."""
    m, s, cap = p.sessions_median, p.sessions_sigma, p.sessions_max
    if s == 0:
        return min(m, cap)
    z = math.log(cap / m) / s

    def phi(x: float) -> float:
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

    return m * math.exp(s * s / 2) * phi(z - s) + cap * (1.0 - phi(z))


def estimate_memory(p: Params) -> MemoryEstimate:
    """Peak memory of one replicate of ``p`` (replicates run one after another)."""
    n = p.n_agents
    n_strat = len(p.strategies)
    if p.shared_market and n_strat > 1:
        n_inst, n_worlds = n_strat * n_strat, n_strat + 1
    else:
        n_inst, n_worlds = n_strat, n_strat
    edges = p.graph_mean_follows * n if p.feed is not None else 0.0  # built for the feed only
    account_follows = sum(a.follower_agents for a in p.accounts)
    features_per_agent = 0.0
    for name in p.optimiser_features:
        if name in CATEGORICAL_FEATURES:
            features_per_agent += 1
        elif name == "interests":
            features_per_agent += float(p.topic_prevalence.sum())
        elif name == "follows":
            features_per_agent += account_follows / max(1, n)
    feature_pairs = features_per_agent * n
    # A day's sessions (agent, time, ads: 16 bytes each) and their draw's counts (4 per agent).
    day_sessions = n * _mean_sessions_per_day(p) * float(p.diurnal.mean()) * 16 + 4 * n
    engine = (
        day_sessions
        + n * (n_inst * INSTANCE_BYTES_PER_AGENT + n_strat * STRATEGY_BYTES_PER_AGENT)
        + n * n_worlds * WORLD_BYTES_PER_AGENT
        + 8 * n
        + 4 * feature_pairs  # the optimiser's feature table (CSR)
    )
    # The busiest slot: sessions at the diurnal peak, each with its geometric number of ads.
    sessions = n * _mean_sessions_per_day(p) * p.slot_h / 24.0 * float(p.diurnal.max())
    ads_per_session = p.feed_items_mean * p.ad_load
    slot = 4 * n + sessions * SESSION_BYTES + sessions * ads_per_session * AD_SLOT_BYTES
    # Other temporaries: the feature table's (agent, id) pairs while it is sorted into CSR
    # (2 x 8 bytes per pair), attribution's credit table (2 bytes per agent and world), and
    # the daily reach count (a copy of the reported frequency counters, 3 bytes per agent).
    setup = 16 * feature_pairs
    per_slot = slot + 2 * n * n_worlds + 3 * n * n_strat
    if p.feed is not None:
        n_tactics = len(p.feed.tactic_names)
        posts = sum(
            plan.posts_per_day * max(0.0, min(plan.end_h, p.horizon_h) - plan.start_h) / 24 + 1
            for plan in p.feed.plans
        )
        worlds_seen_by_feed = n_worlds + 1 + n_tactics  # each: the time and way the feed set
        # Exposure worlds: the baseline, each tactic's, each paid world with linked ads.
        linked = any(s.account >= 0 for s in p.strategies)
        exposure_worlds = 1 + n_tactics + (n_worlds if linked else 0)
        per_world = (
            FEED_INBOX_BYTES_PER_EXPOSURE_WORLD
            + FEED_ACCOUNT_BYTES_PER_EXPOSURE_WORLD * max(1, len(p.accounts))
            + posts / 8
        )
        engine += n * (FEED_POINTER_BYTES_PER_AGENT + 8 * (1 + n_tactics) + 3 * n_tactics)
        engine += n * 9 * worlds_seen_by_feed + n * exposure_worlds * per_world
        engine += 4 * edges + 4 * account_follows
    population = n * POPULATION_BYTES_PER_AGENT + 4 * account_follows
    if p.calendar is not None:
        # Per agent: who follows each event (1 byte), the last session during an airing (4)
        # and the last talk about each topic some predicate reads (4, at most all topics);
        # time-bound audiences keep two more (S, N) masks (the bound and the ever-reached),
        # and a day's event layers (1 byte per agent and event airing that day).
        n_events = len(p.calendar.event_names)
        population += n * n_events
        engine += n * (4 * n_events + 4 * len(p.topic_names) + 2 * n_strat + n_events)
    return MemoryEstimate(
        base=BASE_BYTES,
        population=round(population),
        follow_graph=round(4 * edges),
        graph_build=round((n * GRAPH_BUILD_BYTES_PER_AGENT if edges else 0) + 4 * edges),
        engine=round(engine),
        run_temporaries=round(max(setup, per_slot)),
    )


def _proc_kib(path: str, key: str) -> int | None:
    """A ``key: N kB`` line of a Linux /proc file, in bytes; None where there is none."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _read_int(path: Path) -> int | None:
    """The number in a one-line file (cgroup ``memory.max``), None for "max" or no file."""
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def cgroup_room_bytes(
    proc: Path = Path("/proc"), cgroup: Path = Path("/sys/fs/cgroup")
) -> int | None:
    """Memory this process's control group (a container's limit) has left, or None.

    cgroup v2 (a ``0::/path`` line in /proc/self/cgroup): ``memory.max - memory.current`` at
    the group and each ancestor, the smallest; v1 (a ``memory`` controller line):
    ``memory.limit_in_bytes - memory.usage_in_bytes``. Unlimited groups give None. Inside a
    container the listed path is often the host's, and the container's own group is mounted
    at the root: where the path does not exist, the root is read instead.
    """
    try:
        lines = (proc / "self" / "cgroup").read_text().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        hierarchy, controllers, rel = [*line.split(":", 2), "", ""][:3]
        rel = rel.lstrip("/")
        if hierarchy == "0" and controllers == "":  # v2
            level = cgroup / rel if rel and (cgroup / rel).is_dir() else cgroup
            while True:
                limit = _read_int(level / "memory.max")
                used = _read_int(level / "memory.current")
                if limit is not None:
                    rooms.append(limit - (used or 0))
                if level == cgroup or cgroup not in level.parents:
                    break
                level = level.parent
        elif "memory" in controllers.split(","):  # v1
            base = cgroup / "memory" / rel
            base = base if base.is_dir() else cgroup / "memory"
            limit = _read_int(base / "memory.limit_in_bytes")
            used = _read_int(base / "memory.usage_in_bytes")
            if limit is not None and limit < 2**60:  # v1 says "unlimited" with ~2^63
                rooms.append(limit - (used or 0))
    return max(0, min(rooms)) if rooms else None


def address_space_room_bytes(proc: Path = Path("/proc")) -> int | None:
    """Address space left under ``ulimit -v`` (RLIMIT_AS), or None without a limit."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    used = _proc_kib(str(proc / "self" / "status"), "VmSize") or 0
    return max(0, soft - used)


def memory_room() -> tuple[int, str] | None:
    """Memory a run may still use here and what sets it, or None when unknown: the smallest
    of the system's ``MemAvailable``, the room left in this process's cgroup (a container's
    limit) and the address space left under RLIMIT_AS."""
    system = _proc_kib("/proc/meminfo", "MemAvailable")
    if system is None:
        try:
            system = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            system = None
    rooms = [
        (system, "the memory available"),
        (cgroup_room_bytes(), "the room left under the container's memory limit (cgroup)"),
        (address_space_room_bytes(), "the address space left under `ulimit -v`"),
    ]
    known = [(v, what) for v, what in rooms if v is not None]
    return min(known, key=lambda room: room[0]) if known else None


def available_memory_bytes() -> int | None:
    """Memory a run may still use here (see memory_room), or None when unknown."""
    room = memory_room()
    return None if room is None else room[0]


def format_bytes(n: float) -> str:
    """``1.4 GiB``, ``310 MiB``: binary units, as ``free -h`` prints them."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}" if unit == "GiB" else f"{n / size:.0f} {unit}"
    return f"{n:.0f} B"


_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_bytes(text: str) -> int:
    """``"8G"``, ``"512MiB"``, ``"1.5 GB"`` or plain bytes -> bytes (binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if m is None or (m.group(2) == "" and text.strip().lower().endswith("ib")):
        raise ValueError(f"{text!r} is not a size (examples: 8G, 512M, 1.5GiB)")
    value = float(m.group(1)) * _UNITS[m.group(2)]
    if value < 1:
        raise ValueError(f"{text!r} is not a positive size")
    return int(value)


class MemoryLimitError(ValueError):
    """A run would need more memory than it may use; raised before anything is built."""


def check_memory(p: Params, limit_bytes: int | None = None, *, building_only: bool = False) -> int:
    """Raise MemoryLimitError if ``p`` needs more than ``limit_bytes`` (default: the memory
    available now), with the estimate and what to change. Returns the estimate (bytes)."""
    est = estimate_memory(p)
    need = est.base + est.population + est.follow_graph + est.graph_build
    if not building_only:
        need = est.peak
    if limit_bytes is not None:
        limit, what = limit_bytes, "the limit"
    else:
        room = memory_room()
        if room is None:
            return need
        limit, what = room
    if need <= limit:
        return need
    # Everything but the base grows with the number of agents: keep real people constant.
    room = max(0, limit - est.base) * 0.9
    agents = int(p.n_agents * room / max(1, need - est.base))
    if agents >= 100:  # two significant figures, rounded down
        step = 10 ** (len(str(agents)) - 2)
        agents = agents // step * step
    advice = "use fewer agents with a larger scale"
    if agents >= 10:
        scale = p.scale * p.n_agents / agents
        advice += f", e.g. agents: {agents:,} with scale: {scale:.4g} (the same real people)"
    if len(p.strategies) > 1:
        advice += ", or compare fewer strategies per run"
        if p.shared_market:
            advice += " (a shared market holds one world per strategy, each with all the others)"
    raise MemoryLimitError(
        f"population.agents: this run needs about {format_bytes(need)} of memory (estimate), "
        f"more than {what} ({format_bytes(limit)}); {advice}"
    )


def peak_resident_bytes() -> int:
    """This process's peak resident set so far, in bytes.

    Linux's ``VmHWM`` belongs to the process's own address space. ``getrusage``'s ``ru_maxrss``
    is not a substitute: it carries over the parent's peak across fork and exec, so a child of a
    large process (pytest after a few hundred tests) reports the parent's size.
    """
    peak = _proc_kib("/proc/self/status", "VmHWM")
    if peak is not None:
        return peak
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# One run's time in one process: measured 0.96-1.07 s per million agent-days on the reference
# 2-core machine (quickstart and wazypark_spain, 2026-12-02; benchmarks/throughput.py has the
# current figures). Only for telling a planner roughly how long a sweep would take.
SECONDS_PER_MILLION_AGENT_DAYS = 1.0
SECONDS_PER_RUN_OVERHEAD = 0.05


def estimate_run_seconds(agents: int, horizon_days: int) -> float:
    """Roughly how long one replicate of a scenario of this size takes in one process."""
    return SECONDS_PER_RUN_OVERHEAD + SECONDS_PER_MILLION_AGENT_DAYS * agents * horizon_days / 1e6


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, ``41 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"
