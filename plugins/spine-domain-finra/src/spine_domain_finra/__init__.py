"""spine-domain-finra: pipelines for FINRA OTC Transparency weekly data.

This module only registers the pipelines; the file and HTTP sources they use are
imported when a pipeline runs, so that listing plugins stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import spine

if TYPE_CHECKING:
    from collections.abc import Callable


@spine.hookimpl
def register_pipelines(register: Callable[[spine.PipelineSpec], None]) -> None:
    register(
        spine.PipelineSpec(
            "finra.otc_weekly",
            "spine_domain_finra._weekly:OtcWeekly",
            description="FINRA OTC weekly data into finra_otc_weekly; params file=PATH and week=YYYY-MM-DD",
        )
    )
    register(
        spine.PipelineSpec(
            "finra.weekly_refresh",
            "spine_domain_finra._refresh:WeeklyRefresh",
            description="from the FINRA API: the published weeks not yet loaded, and the last three again",
            schedule="0 6 * * 1",  # Mondays at 06:00 UTC: FINRA publishes on Mondays
        )
    )
    register(
        spine.PipelineSpec(
            "finra.samples",
            "spine_domain_finra._weekly:Samples",
            description="the synthetic FINRA files shipped with the plugin, loaded and summarised",
        )
    )
