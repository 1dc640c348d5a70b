"""``finra.weekly``: the Monday refresh as a workflow: the three tiers side by side, then the
derived tables once, when all three have loaded (or failed: what did load is derived)."""

from __future__ import annotations

import spine

TIER_STEPS = {"t1": "T1", "t2": "T2", "otce": "OTCE"}


def weekly() -> spine.Workflow:
    """The workflow's steps; params given to the run (``today``) reach every step."""
    loads = [
        spine.Step(step, "finra.weekly_refresh", {"tiers": tier, "derived": "no"})
        for step, tier in TIER_STEPS.items()
    ]
    derive = spine.Step("derived", "finra.derived", depends_on=tuple(TIER_STEPS))
    return spine.Workflow(
        "finra.weekly",
        (*loads, derive),
        max_concurrency=len(loads),
        on_failure="continue",
        description="the FINRA API refresh of every tier, side by side, then the derived tables",
    )
