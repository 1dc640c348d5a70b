"""What the FINRA tables hold, in a few lines: ``python -m spine_domain_finra.summary [--store URL]``.

The store is the one ``spine`` uses: ``--store``, else ``SPINE_STORE_URL``, else the
embedded SQLite file. It reads the tables ``finra.otc_weekly`` fills.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import spine

from ._derived import SYMBOL_WEEKLY, VENUE_SHARE
from ._table import ATS_FIRM, TABLE

TOP = 3
MOST_TRADED = 20  # of a tier, the symbols the ATS-share ranking looks at: a tiny one is 100% ATS by chance


def summary(store: spine.Store) -> list[str]:
    """The summary's lines for the newest week in `store`, tier by tier."""
    if not store.declared_columns(TABLE):
        return [f"{TABLE} does not exist yet: run finra.otc_weekly or finra.samples first"]
    limit = store.dialect.limit
    with store.transaction() as session:
        ((rows, weeks, newest),) = session.query(
            f"SELECT COUNT(*), COUNT(DISTINCT week_start_date), MAX(week_start_date) FROM {TABLE}"
        )
        if not rows:
            return [f"{TABLE} is empty: run finra.otc_weekly or finra.samples first"]
        lines = [f"{TABLE}: {rows:,} rows over {weeks} week(s); the newest starts on {newest}"]
        tiers = session.query(
            f"SELECT DISTINCT tier FROM {TABLE} WHERE week_start_date = ? ORDER BY tier", [newest]
        )
        for (tier,) in tiers:
            symbols = session.query(
                f"SELECT symbol, ats_share FROM ("
                f" SELECT symbol, ats_share, total_shares FROM {SYMBOL_WEEKLY}"
                f" WHERE week_start_date = ? AND tier = ? AND symbol <> ''"
                f" ORDER BY total_shares DESC {limit(MOST_TRADED)}"
                f") AS traded ORDER BY ats_share DESC, total_shares DESC {limit(TOP)}",
                [newest, tier],
            )
            venues = session.query(
                f"SELECT venue, share_of_tier FROM {VENUE_SHARE}"
                f" WHERE week_start_date = ? AND tier = ? AND summary_type = '{ATS_FIRM}'"
                f" ORDER BY shares DESC {limit(TOP)}",
                [newest, tier],
            )
            lines.append(f"{tier}:")
            lines.append(
                "  highest ATS share: " + ", ".join(f"{symbol} {share:.0%}" for symbol, share in symbols)
            )
            lines.append(
                "  largest ATS venues: " + ", ".join(f"{venue} {share:.1%}" for venue, share in venues)
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spine_domain_finra.summary", description=__doc__)
    parser.add_argument("--store", help="store URL (default: SPINE_STORE_URL, else the embedded SQLite file)")
    args = parser.parse_args(argv)
    try:
        with spine.Spine() as kernel:
            print("\n".join(summary(kernel.runlog(args.store).store)))
    except spine.SpineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
