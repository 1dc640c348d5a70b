"""The parameters each pipeline declares, and the names they choose from. The entry module
imports this one: keep it light (nothing but spine)."""

from __future__ import annotations

from spine import Param

TIERS = ("T1", "T2", "OTCE")
PER_FIRM = ("ATS_W_SMBL_FIRM", "OTC_W_SMBL_FIRM")

TODAY = Param("today", "date", description="as of this day, for a catch-up run (default: today)")

OTC_WEEKLY = (
    Param("week", "date", required=True, description="the week's Monday, not in the future"),
    Param("source", choices=("file", "api"), default="file", description="a website file, or the FINRA API"),
    Param("file", description="with source=file, required: the FINRA website download file"),
    Param("tier", choices=TIERS, description="with source=api, required: the tier"),
    Param(
        "summary_types",
        multiple=True,
        description=f"with source=api: summary type codes (default: {','.join(PER_FIRM)})",
    ),
)
WEEKLY_REFRESH = (
    TODAY,
    Param("tiers", multiple=True, choices=TIERS, default=TIERS, description="the tiers to refresh"),
    Param("derived", "boolean", default=True, description="false: leave the derived tables to finra.derived"),
)
DERIVED = (TODAY,)
