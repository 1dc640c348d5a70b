"""spine-domain-finra: pipelines for FINRA OTC Transparency weekly data.

This module only registers the pipelines (with the parameters they take), the plugin's
settings, the ``finra.weekly`` workflow and its schedule; the file and HTTP sources
they use are imported when a pipeline runs, so that listing plugins stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import spine

from . import _params

if TYPE_CHECKING:
    from collections.abc import Callable


@spine.hookimpl
def register_pipelines(register: Callable[[spine.PipelineSpec], None]) -> None:
    register(
        spine.PipelineSpec(
            "finra.otc_weekly",
            "spine_domain_finra._weekly:OtcWeekly",
            description="FINRA OTC weekly data into finra_otc_weekly, from a website file or the API",
            params=_params.OTC_WEEKLY,
        )
    )
    register(
        spine.PipelineSpec(
            "finra.weekly_refresh",
            "spine_domain_finra._refresh:WeeklyRefresh",
            description="from the FINRA API: the published weeks not yet loaded, and the last three again",
            params=_params.WEEKLY_REFRESH,
        )
    )
    register(
        spine.PipelineSpec(
            "finra.derived",
            "spine_domain_finra._refresh:Derive",
            description="the derived tables, for the weeks that lack them and the last three published",
            params=_params.DERIVED,
        )
    )
    register(
        spine.PipelineSpec(
            "finra.samples",
            "spine_domain_finra._weekly:Samples",
            description="the synthetic FINRA files shipped with the plugin, loaded and summarised",
            params=(),
        )
    )


@spine.hookimpl
def register_settings(register: Callable[[spine.SettingsSpec], None]) -> None:
    register(
        spine.SettingsSpec(
            "finra", "spine_domain_finra._settings:FinraSettings", description="the FINRA API and its client"
        )
    )


@spine.hookimpl
def register_workflows(register: Callable[[spine.WorkflowSpec], None]) -> None:
    register(
        spine.WorkflowSpec(
            "finra.weekly",
            "spine_domain_finra._workflow:weekly",
            description="the API refresh of every tier side by side, then the derived tables",
        )
    )


@spine.hookimpl
def register_schedules(register: Callable[[spine.ScheduleSpec], None]) -> None:
    # Mondays at 06:00 UTC: FINRA publishes on Mondays.
    register(spine.ScheduleSpec("finra.weekly", workflow="finra.weekly", cron="0 6 * * 1"))
