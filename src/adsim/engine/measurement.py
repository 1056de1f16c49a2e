"""What each party can count of a strategy's installs under iOS privacy (scenario.privacy).

The simulation knows every install and the touch it is credited to (``installs``). The ad
manager and the advertiser's measurement partner (MMP) see:

- *tracked* installs (the person allowed tracking in both apps, or is not on iOS) person by
  person, as the simulation does;
- the other credited installs only as SKAdNetwork postbacks: counts per campaign, for
  campaign-days at or above the privacy threshold (real installs a day); below it the
  postbacks carry no campaign and the installs look organic to everyone;
- the ad manager adds *modelled* installs for what SKAN did not credit: the untracked
  impressions times the install rate it measures on the tracked iOS people it reached.

So MMP = tracked + SKAN <= the truth, and the ad manager = MMP + modelled, near the truth
when tracked and untracked iOS people install alike (consent is drawn independently of
everything else here), further from it the fewer people it can track.
"""

from __future__ import annotations

import numpy as np

from ..params import OS_NAMES, Params
from ..population import Population

__all__ = ["install_views"]

IOS = OS_NAMES.index("ios")


def install_views(
    p: Params,
    pop: Population,
    instances: np.ndarray,
    worlds: np.ndarray,
    credit: np.ndarray,
    install_time: np.ndarray,
    freq_total: np.ndarray,
) -> dict[str, np.ndarray | None]:
    """Per reported strategy s (instance ``instances[s]`` in world ``worlds[s]``), in agents:
    ``tracked``, ``skan`` (credited by postbacks), ``skan_withheld`` (below the threshold)
    and ``modelled`` installs; all None without scenario.privacy (everything is tracked)."""
    if p.privacy is None:
        return dict.fromkeys(("tracked", "skan", "skan_withheld", "modelled"))
    n = len(instances)
    out = {k: np.zeros(n) for k in ("tracked", "skan", "skan_withheld", "modelled")}
    tracked = pop.tracked
    ios = pop.device == IOS
    for s, (j, w) in enumerate(zip(instances, worlds, strict=True)):
        mine = credit[w] == j
        out["tracked"][s] = np.count_nonzero(mine & tracked)
        hidden = mine & ~tracked
        if not hidden.any():
            continue
        day = np.minimum(install_time[w, hidden] // 24.0, p.horizon_days - 1).astype(np.int64)
        daily = np.bincount(day, minlength=p.horizon_days).astype(np.float64)
        # The threshold is on the campaign's real installs that day.
        credited = daily * p.scale >= p.privacy.skan_threshold_installs_per_day
        out["skan"][s] = daily[credited].sum()
        out["skan_withheld"][s] = daily[~credited].sum()
        if p.privacy.models_missing:
            seen = ios & tracked
            impressions_seen = freq_total[j, seen].sum()
            rate = np.count_nonzero(mine & seen) / impressions_seen if impressions_seen else 0.0
            estimate = rate * freq_total[j, ~tracked].sum()
            out["modelled"][s] = max(0.0, estimate - out["skan"][s])
    return out
