"""Synthetic FINRA OTC Transparency weekly files for the quick start of spine-domain-finra.

    python3 scripts/finra_samples.py [OUTDIR] [--seed N]

Writes, into OUTDIR (default: plugins/spine-domain-finra/src/spine_domain_finra/samples),
one website-download file per tier (NMS Tier 1 = T1, NMS Tier 2 = T2, OTC = OTCE) and
week (the weeks of Monday 2026-10-05, 2026-10-12 and 2026-10-19), named
``otc_weekly_<TIER>_<YYYY-MM-DD>.psv`` after the week's Monday, and ``samples.json``,
the list of ``{"file", "week", "tier"}`` objects in the order the files were written.

Every file is shaped like FINRA's own download: the exact header, pipe-delimited, no
quoting, LF line endings, no newline after the last line, no week column.
``lastUpdateDate`` is the Monday FINRA published the rows (the week's Monday + 21 days
for T1, + 35 days for T2 and OTCE); two rows per file were restated one week later.
Each file holds ATS rows (one per symbol and MPID; 25 venues, 22 of them in the NMS
tiers and 20 in OTC, each participant name starting with the MPID) and one non-ATS row
per symbol (MPID empty; mostly "OTC Non-ATS Firm Volume", sometimes a firm's name), so
(symbol, MPID) is unique within a file. About 150 symbols per tier with a Zipf-like
volume distribution; the symbols, and each symbol's venues, stay mostly the same from
week to week while the volumes vary. Real-file quirks present in every file: a row
with an empty symbol and an empty issue name, issue names with commas, ``$``, ``&``,
parentheses and double spaces (one over 200 characters), dotted symbols (``BRK.B``,
``BF.B``) in the NMS tiers, and fractional share quantities (up to 6 decimals) on a
good share of the rows.

The ticker symbols and venue names resemble real ones; every number is made up. The
output depends only on the seed: re-running rewrites the same bytes. Standard library
only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HEADER = (
    "tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
    "totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate"
)
DEFAULT_OUTDIR = Path(__file__).resolve().parent.parent / (
    "plugins/spine-domain-finra/src/spine_domain_finra/samples"
)
DEFAULT_SEED = 20261005
WEEKS = (date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19))
RESTATED_PER_FILE = 2
ZIPF_OFFSET = 2  # flattens the very top: the first symbol is not twice the second
FRACTIONAL_SHARE = 0.45  # the part of the rows whose share quantity is fractional
NON_ATS_AGGREGATE = "OTC Non-ATS Firm Volume"
# Non-ATS firms reported by name, without an MPID, on a few symbols instead of the aggregate.
NON_ATS_FIRMS = (
    "CITADEL SECURITIES LLC",
    "VIRTU AMERICAS LLC",
    "JANE STREET CAPITAL, LLC",
    "G1 EXECUTION SERVICES, LLC",
    "DE MINIMIS FIRMS",
)


@dataclass(frozen=True)
class Tier:
    code: str
    description: str
    lag_days: int  # publication: the week's Monday + lag_days
    top_ats_shares: float  # weekly ATS shares of the most traded symbol
    zipf: float  # exponent of the rank/volume law: (rank + ZIPF_OFFSET) ** -zipf
    trade_size: float  # average ATS trade size in shares
    non_ats_ratio: tuple[float, float]  # non-ATS shares / ATS shares, a symbol's range


@dataclass(frozen=True)
class Venue:
    mpid: str
    name: str
    weights: tuple[float, float, float]  # market share weight in T1, T2, OTCE; 0 = not traded
    block: bool = False  # block-crossing venue: few, large trades


@dataclass(frozen=True)
class Issue:
    symbol: str
    name: str
    ats_shares: float  # typical weekly ATS shares
    venues: tuple[tuple[Venue, float], ...]  # the venues trading it, with their typical weight
    non_ats_name: str  # the participant of its non-ATS row
    non_ats_ratio: float
    kept: bool  # always traded: a top symbol or one carrying a quirk


@dataclass(frozen=True)
class Row:
    symbol: str
    name: str
    participant: str
    mpid: str
    shares: str
    trades: int


TIERS = (
    Tier("T1", "NMS Tier 1", 21, 45_000_000, 1.05, 180, (0.9, 4.0)),
    Tier("T2", "NMS Tier 2", 35, 9_000_000, 1.0, 240, (0.7, 3.5)),
    Tier("OTCE", "OTC", 35, 400_000_000, 1.15, 9_000, (1.5, 8.0)),
)

VENUES = (
    Venue("UBSA", "UBSA UBS ATS", (10, 8, 2)),
    Venue("INCR", "INCR INTELLIGENT CROSS LLC", (9, 7, 0)),
    Venue("JPMX", "JPMX JPM-X", (8, 6, 0.6)),
    Venue("SGMT", "SGMT SIGMA X2", (7, 5, 0.5)),
    Venue("MSPL", "MSPL MS POOL (ATS-4)", (6, 5, 0.5)),
    Venue("ICBX", "ICBX INSTINET CONTINUOUS BLOCK CROSSING SYSTEM (CBX)", (5, 4, 0), block=True),
    Venue("LEVL", "LEVL LEVEL ATS", (5, 4, 0.4)),
    Venue("CROS", "CROS CROSSFINDER", (4, 4, 0.4)),
    Venue("MLIX", "MLIX INSTINCT X", (4, 3, 0.4)),
    Venue("IATS", "IATS IBKR ATS", (4, 5, 5)),
    Venue("KCGM", "KCGM VIRTU MATCHIT", (3, 4, 3)),
    Venue("DBAX", "DBAX SUPERX ATS", (3, 2, 0.3)),
    Venue("BIDS", "BIDS BIDS TRADING", (3, 3, 0), block=True),
    Venue("LATS", "LATS BARCLAYS LX", (2.5, 2, 0.3)),
    Venue("XSTM", "XSTM CROSSSTREAM", (2, 2, 0.5)),
    Venue("PDQX", "PDQX PDQ ATS", (2, 2, 0.8)),
    Venue("NYFX", "NYFX MILLENNIUM", (1.5, 1.5, 0.2)),
    Venue("MSTX", "MSTX MS TRAJECTORY CROSS (ATS-1)", (1.5, 1.2, 0.3)),
    Venue("LQNT", "LQNT LIQUIDNET H2O ATS", (1, 1, 0), block=True),
    Venue("AQUA", "AQUA AQUA SECURITIES", (1, 0.8, 0), block=True),
    Venue("BLKX", "BLKX BLOCKCROSS ATS", (0.8, 0.6, 0.1), block=True),
    Venue("PURE", "PURE PURESTREAM ATS", (0.5, 0.6, 0.2)),
    Venue("OTCN", "OTCN OTC LINK NQB IDQS", (0, 0, 12)),
    Venue("GOTC", "GOTC GLOBAL OTC", (0, 0, 6)),
    Venue("OTCX", "OTCX OTC LINK ECN", (0, 0, 4)),
)

# NMS Tier 1: large caps and the busiest ETPs, roughly by off-exchange share volume.
T1_ISSUES = """\
NVDA|NVIDIA Corporation Common Stock
TSLA|Tesla, Inc. Common Stock
SOXL|Direxion Daily Semiconductor Bull 3X Shares
TQQQ|ProShares UltraPro QQQ
PLTR|Palantir Technologies Inc. Class A Common Stock
F|Ford Motor Company Common Stock
SQQQ|ProShares UltraPro Short QQQ
INTC|Intel Corporation Common Stock
AAPL|Apple Inc. Common Stock
SOFI|SoFi Technologies, Inc. Common Stock
AMD|Advanced Micro Devices, Inc. Common Stock
LCID|Lucid Group, Inc. Common Stock
SPY|SPDR S&P 500 ETF Trust
BAC|Bank of America Corporation Common Stock
AAL|American Airlines Group, Inc. Common Stock
AMZN|Amazon.com, Inc. Common Stock
QQQ|Invesco QQQ Trust, Series 1
T|AT&T Inc.
PFE|Pfizer, Inc. Common Stock
HOOD|Robinhood Markets, Inc. Class A Common Stock
CCL|Carnival Corporation Common Stock
IWM|iShares Russell 2000 ETF
WBD|Warner Bros. Discovery, Inc. Series A Common Stock
UVXY|ProShares Ultra VIX Short-Term Futures ETF
MSFT|Microsoft Corporation Common Stock
RIVN|Rivian Automotive, Inc. Class A Common Stock
GOOGL|Alphabet Inc. Class A Common Stock
SMCI|Super Micro Computer, Inc. Common Stock
COIN|Coinbase Global, Inc. Class A Common Stock
IBIT|iShares Bitcoin Trust ETF
HYG|iShares iBoxx $ High Yield Corporate Bond ETF
VXX|iPath Series B S&P 500 VIX Short-Term Futures ETN, Linked to the Performance of the S&P 500 VIX \
Short-Term Futures Index Total Return, Due January 23, 2048 (Principal Amount $50.00 per Note)  Issued by \
Barclays Bank PLC
META|Meta Platforms, Inc. Class A Common Stock
KHC|Kraft Heinz Company (The) Common Stock
GOOG|Alphabet Inc. Class C Capital Stock
VZ|Verizon Communications Inc. Common Stock
XLF|The Financial Select Sector SPDR Fund
KO|Coca-Cola Company (The) Common Stock
WFC|Wells Fargo & Company Common Stock
C|Citigroup, Inc. Common Stock
MU|Micron Technology, Inc. Common Stock
TLT|iShares 20+ Year Treasury Bond ETF
KMI|Kinder Morgan, Inc. Common Stock
UBER|Uber Technologies, Inc. Common Stock
CSCO|Cisco Systems, Inc. Common Stock (DE)
EEM|iShares MSCI Emerging Markets ETF
OXY|Occidental Petroleum Corporation Common Stock
DAL|Delta Air Lines, Inc. Common Stock
SLV|iShares Silver Trust
GM|General Motors Company Common Stock
XOM|Exxon Mobil Corporation Common Stock
BRK.B|Berkshire Hathaway Inc.  Class B
MSTR|Strategy Inc Class A Common Stock
ARKK|ARK Innovation ETF
LQD|iShares iBoxx $ Investment Grade Corporate Bond ETF
UAL|United Airlines Holdings, Inc. Common Stock
KRE|SPDR S&P Regional Banking ETF
JPM|JPMorgan Chase & Co. Common Stock
CMCSA|Comcast Corporation Class A Common Stock
HAL|Halliburton Company Common Stock
DVN|Devon Energy Corporation Common Stock
NKE|Nike, Inc. Common Stock
PYPL|PayPal Holdings, Inc. Common Stock
XLE|Energy Select Sector SPDR Fund
ORCL|Oracle Corporation Common Stock
BMY|Bristol-Myers Squibb Company Common Stock
MRK|Merck & Company, Inc. Common Stock (new)
CVX|Chevron Corporation Common Stock
JNJ|Johnson &  Johnson Common Stock
WMT|Walmart Inc. Common Stock
GLD|SPDR Gold Trust, SPDR Gold Shares
MO|Altria Group, Inc.
SCHW|Charles Schwab Corporation (The) Common Stock
AVGO|Broadcom Inc. Common Stock
PG|Procter & Gamble Company (The) Common Stock
NFLX|Netflix, Inc. Common Stock
CRWD|CrowdStrike Holdings, Inc. Class A Common Stock
DELL|Dell Technologies Inc. Class C Common Stock
JEPI|JPMorgan Equity Premium Income ETF
SCHD|Schwab US Dividend Equity ETF
GILD|Gilead Sciences, Inc. Common Stock
USB|U.S. Bancorp Common Stock
QCOM|QUALCOMM Incorporated Common Stock
DIS|Walt Disney Company (The) Common Stock
V|Visa Inc.
ABBV|AbbVie Inc. Common Stock
SNOW|Snowflake Inc. Common Stock
AMAT|Applied Materials, Inc. Common Stock
BX|Blackstone Inc. Common Stock
PEP|PepsiCo, Inc. Common Stock
MS|Morgan Stanley Common Stock
ABNB|Airbnb, Inc. Class A Common Stock
SBUX|Starbucks Corporation Common Stock
BA|Boeing Company (The) Common Stock
TGT|Target Corporation Common Stock
VOO|Vanguard S&P 500 ETF
VTI|Vanguard Total Stock Market ETF
DIA|SPDR Dow Jones Industrial Average ETF Trust
TXN|Texas Instruments Incorporated Common Stock
BITO|ProShares Bitcoin ETF
ABT|Abbott Laboratories Common Stock
MDT|Medtronic plc. Ordinary Shares
UNH|UnitedHealth Group Incorporated Common Stock (DE)
CRM|Salesforce, Inc. Common Stock
MA|Mastercard Incorporated Common Stock
LLY|Eli Lilly and Company Common Stock
HD|Home Depot, Inc. (The) Common Stock
COST|Costco Wholesale Corporation Common Stock
ADBE|Adobe Inc. Common Stock
ACN|Accenture plc Class A Ordinary Shares (Ireland)
MCD|McDonald's Corporation Common Stock
LIN|Linde plc Ordinary Shares
INTU|Intuit Inc. Common Stock
IBM|International Business Machines Corporation Common Stock
GE|GE Aerospace Common Stock
CAT|Caterpillar, Inc. Common Stock
AMGN|Amgen Inc. Common Stock
NOW|ServiceNow, Inc. Common Stock
ISRG|Intuitive Surgical, Inc. Common Stock
GS|Goldman Sachs Group, Inc. (The) Common Stock
SPGI|S&P Global Inc. Common Stock
NEE|NextEra Energy, Inc. Common Stock
RTX|RTX Corporation Common Stock
HON|Honeywell International Inc. Common Stock
LOW|Lowe's Companies, Inc. Common Stock
UNP|Union Pacific Corporation Common Stock
PGR|Progressive Corporation (The) Common Stock
BKNG|Booking Holdings Inc. Common Stock
AXP|American Express Company Common Stock
BLK|BlackRock, Inc. Common Stock
SYK|Stryker Corporation Common Stock
ELV|Elevance Health, Inc. Common Stock
LMT|Lockheed Martin Corporation Common Stock
TJX|TJX Companies, Inc. (The) Common Stock
PLD|Prologis, Inc. Common Stock
VRTX|Vertex Pharmaceuticals Incorporated Common Stock
ADP|Automatic Data Processing, Inc. Common Stock
PANW|Palo Alto Networks, Inc. Common Stock
DE|Deere & Company Common Stock
CB|Chubb Limited Common Stock
LRCX|Lam Research Corporation Common Stock
MMC|Marsh & McLennan Companies, Inc. Common Stock
ADI|Analog Devices, Inc. Common Stock
KLAC|KLA Corporation Common Stock
AMT|American Tower Corporation (REIT) Common Stock
SO|Southern Company (The) Common Stock
DUK|Duke Energy Corporation (Holding Company) Common Stock
CI|The Cigna Group Common Stock
ZTS|Zoetis Inc. Class A Common Stock
SHW|Sherwin-Williams Company (The) Common Stock
CME|CME Group Inc. Class A Common Stock
BF.B|Brown-Forman Corporation  Class B Common Stock
ORLY|O'Reilly Automotive, Inc. Common Stock
MAR|Marriott International Class A Common Stock
FDX|FedEx Corporation Common Stock
MMM|3M Company Common Stock
"""

# NMS Tier 2 and OTC names are made up from these parts.
T2_FIRST = (
    "Harbor Cedar Granite Meridian Pinnacle Northwind Silverline Redwood Lakeshore Ironclad Bluepoint "
    "Crescent Evergreen Falcon Horizon Keystone Lumen Maple Oakridge Prairie Quarry Riverbend Sable "
    "Tidewater Vantage Westbrook Zenith Aurora Beacon Copperline Driftwood Ember Foxhollow Glacier "
    "Hollis Juniper Kingsley Larkspur Mosaic Nimbus Orchard Palisade Quill Rosewood Stonegate Trident "
    "Upland Verity Willow Yardley Alder Brightwater Cobalt Delmar Eastgate Fairhaven Greystone"
)
T2_KINDS = (
    ("Therapeutics, Inc.", "Common Stock"),
    ("Biosciences, Inc.", "Common Stock"),
    ("Bancorp, Inc.", "Common Stock"),
    ("Financial Corporation", "Common Stock"),
    ("Energy, Inc.", "Common Stock"),
    ("Minerals Corp.", "Common Shares"),
    ("Semiconductor, Inc.", "Common Stock"),
    ("Software Holdings, Inc.", "Class A Common Stock"),
    ("Pharmaceuticals, Inc.", "Common Stock"),
    ("Realty Trust", "Common Shares of Beneficial Interest"),
    ("Industries, Inc.", "Common Stock"),
    ("Holdings Corp.", "Common Stock"),
    ("Technologies, Inc.", "Common Stock"),
    ("Foods Company (The)", "Common Stock"),
    ("Resources Ltd.", "Ordinary Shares"),
    ("Medical Systems, Inc.", "Common Stock"),
    ("Robotics Corp.", "Class A Common Stock"),
    ("Networks, Inc.", "Common Stock (DE)"),
    ("Brands, Inc.", "Common Stock"),
    ("Bio, Ltd.", "American Depositary Shares"),
)
# (symbol, name) of NMS Tier 2 issues written out: they carry the quirks.
T2_SPECIAL = (
    (
        "HRBNP",
        "Harbor National Bancshares, Inc. Depositary Shares, Each Representing a 1/40th Interest in a Share "
        "of 7.125% Fixed-Rate Reset Non-Cumulative Perpetual Preferred Stock, Series B (Liquidation "
        "Preference $1,000 per Share; $25 per Depositary Share)",
    ),
    ("GRNT.A", "Granite Peak Industries, Inc. Class A Common Stock"),
    ("GRNT.B", "Granite Peak Industries, Inc. Class B Common Stock"),
    ("CVRT", "Cedar Valley Realty Trust  Common Shares of Beneficial Interest"),
    ("MRFB", "Marlow & Finch Brands, Inc. Common Stock"),
    ("NWAC", "Northwind Acquisition Corp. II Class A Ordinary Shares"),
    (
        "NWACW",
        "Northwind Acquisition Corp. II Warrants, each whole warrant exercisable for one Class A Ordinary "
        "Share at an exercise price of $11.50",
    ),
    (
        "NWACU",
        "Northwind Acquisition Corp. II Units, each consisting of one Class A Ordinary Share and one-half "
        "of one redeemable warrant",
    ),
    ("SMTB", "Summit Bank & Trust Co. (Holding Company) Common Stock"),
)

OTC_FIRST = (
    "Nordhavn Kestrel Sakura Alpenrose Baltic Cordillera Danube Eureka Fjordland Galena Hokuriku Inca "
    "Jadestone Kalahari Lusitania Murray Namib Orinoco Patagonia Qilian Rhenish Sierra Tasman Ural "
    "Valdivia Wuxi Yukon Zambezi Andes Bavaria Carpathian Dolomite Elbe Fraser Gobi Hebei Iberia "
    "Jutland Karoo Ligurian Moravia Nile Ottawa Pilbara Quebec Riviera Saxon Tyrol Umbria Vistula"
)
# (kind, security type, symbol suffix): F foreign ordinary shares, Y ADRs, "" domestic.
OTC_KINDS = (
    ("Mining Corp.", "Common Shares", "F"),
    ("Gold Corp", "Ordinary Shares", "F"),
    ("Lithium Ltd", "Ordinary Shares", "F"),
    ("Holdings Ltd", "Unsponsored ADR", "Y"),
    ("AG", "Sponsored ADR", "Y"),
    ("S.A.", "Unsponsored ADR", "Y"),
    ("PLC", "Ordinary Shares", "F"),
    ("Co., Ltd.", "Ordinary Shares (H Shares)", "F"),
    ("Group Limited", "Unsponsored American Depositary Receipt", "Y"),
    ("Resources Inc.", "Common Shares", "F"),
    ("Cannabis Corp.", "Common Stock", ""),
    ("Biotech, Inc.", "Common Stock", ""),
    ("Energy Corp", "Common Stock", ""),
    ("Technologies Inc", "Common Stock", ""),
    ("Digital Assets, Inc.", "Common Stock", ""),
)
OTC_SPECIAL = (
    (
        "NRDHY",
        "Nordhavn Mineral Resources ASA Unsponsored American Depositary Receipts (each representing ten "
        "(10) Ordinary Shares, nominal value NOK 0.10 per share), issued by The Bank of New York Mellon, "
        "as Depositary",
    ),
    ("BGHWD", "Bluegrass Hemp & Wellness Corp. Common Stock, par value $0.001"),
    ("KSTGF", "Kestrel Gold  Corp Ordinary Shares"),
    ("SXRPY", "Saxon & Rowe Pharmaceuticals AG Sponsored ADR"),
    ("ZJOMF", "Zhejiang Orient Mining Co., Ltd. Ordinary Shares (H Shares)"),
    ("QNTM", "Quantum  Computing Holdings, Inc. (NV) Common Stock"),
)


def universe(tier_index: int, rng: random.Random, taken: set[str]) -> list[tuple[str, str]]:
    """The tier's (symbol, issue name) in order of typical volume, most traded first. `taken`
    holds the symbols of the tiers made before; this tier's are added to it."""
    if tier_index == 0:
        issues = [(line.split("|")[0], line.split("|", 1)[1]) for line in T1_ISSUES.splitlines()]
        taken.update(symbol for symbol, _ in issues)
        return issues
    special = list(T2_SPECIAL if tier_index == 1 else OTC_SPECIAL)
    taken.update(symbol for symbol, _ in special)
    if tier_index == 1:
        parts = [(first, kind, security, "") for first in T2_FIRST.split() for kind, security in T2_KINDS]
    else:
        parts = [(first, *kind) for first in OTC_FIRST.split() for kind in OTC_KINDS]
    issues = []
    for first, kind, security, suffix in rng.sample(parts, 150 - len(special)):
        letters = [c for c in f"{first}{kind}".upper() if "A" <= c <= "Z"]
        symbol = ""
        while not symbol or symbol in taken:
            # T2: three or four letters; OTC: four, plus F (foreign ordinary) or Y (ADR) if foreign.
            length = 3 if tier_index == 1 and rng.random() < 0.35 else 4
            symbol = letters[0] + "".join(
                letters[i] for i in sorted(rng.sample(range(1, len(letters)), length - 1))
            )
            symbol += suffix
        taken.add(symbol)
        name = f"{first} {kind} {security}"
        if tier_index == 2 and rng.random() < 0.4:
            name = f"{first} {kind}"  # OTC names often carry no security type
        issues.append((symbol, name))
    for offset, item in enumerate(special):
        issues.insert(12 + offset * 14 + rng.randrange(10), item)
    if tier_index == 2:
        # The most traded OTC issues by share count are domestic penny stocks, not ADRs.
        order = {symbol: rng.random() * (0.25 if len(symbol) == 4 else 1) for symbol, _ in issues}
        issues.sort(key=lambda issue: order[issue[0]])
    return issues


def build_issues(tier_index: int, seed: int, taken: set[str]) -> list[Issue]:
    """The tier's issues with the venues that trade them: the part that stays from week to week."""
    tier = TIERS[tier_index]
    rng = random.Random(f"{seed}:{tier.code}:universe")
    listed = universe(tier_index, rng, taken)
    venues = [venue for venue in VENUES if venue.weights[tier_index] > 0]
    issues = []
    for rank, (symbol, name) in enumerate(listed, start=1):
        depth = (1 - rank / (len(listed) + 1)) ** 1.7  # near 1 for the top symbol, near 0 for the last
        count = max(3, min(len(venues), round(5 + (len(venues) - 5) * depth + rng.randint(-2, 2))))
        # Weighted sampling without replacement: the big venues trade nearly every symbol.
        keyed = sorted(venues, key=lambda v: rng.random() ** (1 / v.weights[tier_index]), reverse=True)
        chosen = tuple((v, v.weights[tier_index] * rng.lognormvariate(0, 0.6)) for v in keyed[:count])
        non_ats = NON_ATS_AGGREGATE if rng.random() < 0.9 else rng.choice(NON_ATS_FIRMS)
        issues.append(
            Issue(
                symbol=symbol,
                name=name,
                ats_shares=tier.top_ats_shares
                * ((1 + ZIPF_OFFSET) / (rank + ZIPF_OFFSET)) ** tier.zipf
                * rng.lognormvariate(0, 0.25),
                venues=chosen,
                non_ats_name=non_ats,
                non_ats_ratio=rng.uniform(*tier.non_ats_ratio),
                # Top symbols and those carrying a quirk trade every week.
                kept=rank <= 25 or "." in symbol or "  " in name or "$" in name or len(name) > 120,
            )
        )
    return issues


def quantity(shares: float, rng: random.Random) -> str:
    """A share quantity as FINRA writes it: whole, or with up to 6 decimals."""
    whole = int(shares)
    if rng.random() >= FRACTIONAL_SHARE:
        return str(max(1, whole))
    digits = rng.choice((1, 2, 2, 3, 4, 5, 6, 6))
    fraction = f"{rng.randrange(1, 10**digits):0{digits}d}".rstrip("0")
    return f"{whole}.{fraction}"


def week_rows(tier_index: int, issues: list[Issue], week_index: int, seed: int) -> list[Row]:
    """One week's rows of a tier, sorted by symbol (the empty symbol first), ATS before non-ATS."""
    tier = TIERS[tier_index]
    rng = random.Random(f"{seed}:{tier.code}:week{week_index}")
    rows: list[Row] = []
    for issue in issues:
        if not issue.kept and rng.random() < 0.03:
            continue  # not traded off-exchange this week
        total = issue.ats_shares * rng.lognormvariate(0, 0.3)
        venues = [(v, w * rng.lognormvariate(0, 0.25)) for v, w in issue.venues if rng.random() > 0.04]
        if len(venues) < 2:
            venues = [(v, w) for v, w in issue.venues]
        weight = sum(w for _, w in venues)
        for venue, share in venues:
            shares = total * share / weight
            size = tier.trade_size * (25 if venue.block else 1) * rng.lognormvariate(0, 0.3)
            rows.append(
                Row(
                    issue.symbol,
                    issue.name,
                    venue.name,
                    venue.mpid,
                    quantity(shares, rng),
                    max(1, round(shares / size)),
                )
            )
        shares = total * issue.non_ats_ratio * rng.lognormvariate(0, 0.15)
        size = tier.trade_size * 0.6 * rng.lognormvariate(0, 0.2)
        rows.append(
            Row(
                issue.symbol,
                issue.name,
                issue.non_ats_name,
                "",
                quantity(shares, rng),
                max(1, round(shares / size)),
            )
        )
    # A real FINRA row: volume reported at an ATS against no symbol and no issue name.
    venue = rng.choice([v for v in VENUES if v.weights[tier_index] >= 1])
    rows.append(
        Row("", "", venue.name, venue.mpid, quantity(rng.uniform(100, 5_000), rng), rng.randint(1, 12))
    )
    rows.sort(key=lambda row: (row.symbol, row.mpid == "", row.mpid, row.participant))
    return rows


def render(tier_index: int, rows: list[Row], monday: date, rng: random.Random) -> str:
    """The file's text: header, rows, LF line endings and no newline after the last line."""
    tier = TIERS[tier_index]
    published = monday + timedelta(days=tier.lag_days)
    restated = set(
        rng.sample([i for i, row in enumerate(rows) if row.symbol and row.mpid], RESTATED_PER_FILE)
    )
    lines = [HEADER]
    for index, row in enumerate(rows):
        updated = published + timedelta(days=7 if index in restated else 0)
        lines.append(
            f"{tier.description}|{row.symbol}|{row.name}|{row.participant}|{row.mpid}|"
            f"{row.shares}|{row.trades}|{updated.isoformat()}"
        )
    return "\n".join(lines)


def check(text: str, tier_index: int, monday: date) -> None:
    """Raise if a file lacks what the samples promise: the header, the quirks, unique keys."""
    tier = TIERS[tier_index]
    lines = text.split("\n")
    fields = [line.split("|") for line in lines[1:]]
    names = [f[2] for f in fields]
    published = (monday + timedelta(days=tier.lag_days)).isoformat()
    restated = (monday + timedelta(days=tier.lag_days + 7)).isoformat()
    problems = {
        "header": lines[0] != HEADER,
        "trailing newline": text.endswith("\n") or "\r" in text,
        "field count": any(len(f) != 8 for f in fields),
        "tier": any(f[0] != tier.description for f in fields),
        "empty symbol and name": sum(1 for f in fields if f[1] == "" and f[2] == "") != 1,
        "comma, $, &, ()": not all(any(c in n for n in names) for c in (",", "$", "&", "(", ")")),
        "double space": not any("  " in n for n in names),
        "name over 200": not any(len(n) > 200 for n in names),
        "non-ATS rows": not any(f[4] == "" and f[1] for f in fields),
        "unique (symbol, MPID)": len({(f[1], f[4]) for f in fields}) != len(fields),
        "fractional shares": not 0.2 < sum("." in f[5] for f in fields) / len(fields) < 0.7,
        "negative": any(f[5].startswith("-") or f[6].startswith("-") for f in fields),
        "publication": any(f[7] not in (published, restated) for f in fields),
        "restated": sum(f[7] == restated for f in fields) != RESTATED_PER_FILE,
        "dotted symbol": tier_index < 2 and not any("." in f[1] for f in fields),
    }
    failed = [what for what, bad in problems.items() if bad]
    if failed:
        raise SystemExit(f"{tier.code} {monday}: the generated file fails: {', '.join(failed)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic FINRA OTC weekly sample files.")
    parser.add_argument(
        "outdir", nargs="?", type=Path, default=DEFAULT_OUTDIR, help="where to write the files"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="the random seed (default %(default)s)"
    )
    args = parser.parse_args(argv)
    outdir: Path = args.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    issues = [build_issues(index, args.seed, taken) for index in range(len(TIERS))]
    listing: list[dict[str, str]] = []
    for week_index, monday in enumerate(WEEKS):
        for tier_index, tier in enumerate(TIERS):
            rows = week_rows(tier_index, issues[tier_index], week_index, args.seed)
            rng = random.Random(f"{args.seed}:{tier.code}:week{week_index}:restated")
            text = render(tier_index, rows, monday, rng)
            check(text, tier_index, monday)
            name = f"otc_weekly_{tier.code}_{monday.isoformat()}.psv"
            (outdir / name).write_bytes(text.encode("utf-8"))
            listing.append({"file": name, "week": monday.isoformat(), "tier": tier.code})
            print(f"{name}  {len(rows)} rows")
    (outdir / "samples.json").write_text(json.dumps(listing, indent=2) + "\n", encoding="utf-8")
    print(f"samples.json  {len(listing)} files listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
