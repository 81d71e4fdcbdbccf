"""The sales org and the marketing calendar: users, teams, and campaigns across platforms.

Both are small and fixed for a run, so they are built once up front. Campaign names are chosen so
that the Google Ads name (= utm_campaign) and the Salesforce name agree after normalisation
(lowercase, spaces/hyphens -> underscores) for most campaigns, with one planted mismatch and one
removed Ads campaign whose spend shows only in the account total.
"""

from __future__ import annotations

import random
from datetime import date

from .fmt import DAY, HOUR, add_months, epoch, month_key
from .ids import SalesforceIds
from .model import AdsCampaign, Campaign, User
from .reference import FIRST_NAMES, LAST_NAMES, WEST_STATES, Company

TEAMS = (("Inside Sales East", "Americas"), ("Inside Sales West", "Americas"), ("Enterprise Sales", "Global"),
         ("EMEA Sales", "EMEA"), ("APAC Sales", "APAC"))
USD_ACCOUNT, CNY_ACCOUNT = "123-456-7890", "987-654-3210"


def normalize_campaign_name(name: str) -> str:
    """The normalisation the campaign matching assumes: lowercase, spaces and hyphens -> '_'."""
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def team_for(company: Company) -> str:
    """Territory rules: big companies outside China go to Enterprise, the rest by geography."""
    if company.country in ("China", "Singapore"):
        return "APAC Sales"
    if company.employees > 1000:
        return "Enterprise Sales"
    if company.country in ("United Kingdom", "Germany"):
        return "EMEA Sales"
    return "Inside Sales West" if company.state in WEST_STATES else "Inside Sales East"


def build_users(rng: random.Random, ids: SalesforceIds, role_ids: SalesforceIds, leads: int, months: int,
                start_ts: int) -> tuple[list[User], dict[str, list[User]]]:
    """Managers and reps per team (more reps for more leads), an admin and the web-to-lead integration."""
    reps_per_team = max(3, min(40, round(leads / 2500)))
    users = [User(ids.next(), "Org", "Admin", "", "", "System Administrator", role_ids.next(), None,
                  start_ts - 400 * DAY),
             User(ids.next(), "Marketing", "Integration", "Marketing", "", "Integration User", role_ids.next(), None,
                  start_ts - 300 * DAY)]
    by_team: dict[str, list[User]] = {}
    for team, division in TEAMS:
        role = role_ids.next()
        manager = User(ids.next(), rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), team, division,
                       f"{team} Manager", role, None, start_ts - rng.randint(200, 900) * DAY)
        users.append(manager)
        rep_role = role_ids.next()
        reps = []
        for k in range(reps_per_team):
            left = max(1, months // 2) if k == 0 and months > 1 else None  # one rep per team left mid-way
            rep = User(ids.next(), rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), team, division,
                       "Account Executive" if team == "Enterprise Sales" else "Sales Development Rep",
                       rep_role, manager.id, start_ts - rng.randint(30, 700) * DAY + rng.randint(0, DAY), left)
            reps.append(rep)
        users.extend(reps)
        by_team[team] = reps
    return users, by_team


def _ads(ads_id: int, name: str, channel: str, cur: str, status: str, cpc: int, ctr: float, cvr: float,
         listed: bool = True, months: tuple[int, ...] | None = None) -> AdsCampaign:
    return AdsCampaign(str(ads_id), name, channel, cur, USD_ACCOUNT if cur == "USD" else CNY_ACCOUNT, status,
                       cpc, ctr, cvr, listed, months)


def build_campaigns(ids: SalesforceIds, start: date, months: int) -> tuple[list[Campaign], list[AdsCampaign]]:
    """Every campaign of the period; Google Ads ones carry their Ads settings.

    Returns the Salesforce campaigns and the Ads campaigns that have no Salesforce twin (spend
    that cannot be attributed).
    """
    s = epoch(start)
    always_on = epoch(add_months(start, months + 6)) - 1  # still running at export time
    out: list[Campaign] = []

    def add(name: str, ctype: str, cur: str, budget: int, source: str, utm: tuple[str, str, str],
            ads: AdsCampaign | None = None, lo: int = s, hi: int = always_on, month: int | None = None) -> None:
        out.append(Campaign(ids.next(), name, ctype, lo, hi, cur, budget, source, utm[2], utm[0], utm[1], ads, month))

    search = (("Search Brand US", "Search-Brand-US", 21_034_567_801, 320, 0.085, 0.070),
              ("Search Generic Analytics", "Search-Generic-Analytics", 21_034_567_802, 540, 0.045, 0.045),
              ("Competitor Conquesting 2026", "Search-Competitor-Conquest", 21_034_567_803, 690, 0.030, 0.035))
    for sf_name, ads_name, aid, cpc, ctr, cvr in search:
        add(sf_name, "Advertisement", "USD", 0, "Paid Search", ("google", "cpc", ads_name),
            _ads(aid, ads_name, "Search", "USD", "Enabled", cpc, ctr, cvr))
    add("Display Remarketing", "Banner Ads", "USD", 0, "Web", ("google", "display", "Display-Remarketing"),
        _ads(21_034_567_804, "Display-Remarketing", "Display", "USD", "Enabled", 65, 0.006, 0.010))
    add("Search Brand CN", "Advertisement", "CNY", 0, "Paid Search", ("google", "cpc", "Search-Brand-CN"),
        _ads(21_099_000_101, "Search-Brand-CN", "Search", "CNY", "Enabled", 1800, 0.070, 0.060))
    add("Display Awareness APAC", "Banner Ads", "CNY", 0, "Web", ("google", "display", "Display-Awareness-APAC"),
        _ads(21_099_000_102, "Display-Awareness-APAC", "Display", "CNY", "Paused", 420, 0.005, 0.008,
             months=tuple(range(max(1, months - 2)))))  # paused for the last two months
    unattributed = [_ads(21_034_567_899, "Search-Brand-EU-Test", "Search", "USD", "Removed", 410, 0.05, 0.0,
                         listed=False, months=tuple(range(min(2, months))))]
    quarters = sorted({(add_months(start, m).year, (add_months(start, m).month - 1) // 3 + 1) for m in range(months)})
    for year, q in quarters:
        lo, hi = max(s, epoch(date(year, 3 * q - 2, 1))), epoch(add_months(date(year, 3 * q - 2, 1), 3)) - 1
        name = f"LinkedIn ABM Q{q} {year}"
        add(name, "Advertisement", "USD", 30_000, "Paid Social", ("linkedin", "paid_social",
                                                                  normalize_campaign_name(name)), lo=lo, hi=hi)
    shows = ("Analytics Expo", "China Digital Summit", "RevOps Summit")
    for m in range(months):
        first = add_months(start, m)
        mk, lo, hi = month_key(first), epoch(first), epoch(add_months(first, 1)) - 1
        name = f"Newsletter {mk}"
        add(name, "Email", "USD", 2_000, "Email", ("newsletter", "email", normalize_campaign_name(name)),
            lo=lo + 2 * DAY + 15 * HOUR, hi=hi, month=m)
        add(f"Webinar {mk} Funnel Analytics 101", "Webinar", "USD", 5_000, "Event", ("", "", ""),
            lo=lo + 14 * DAY + 16 * HOUR, hi=lo + 14 * DAY + 17 * HOUR, month=m)
        if m % 3 == 1:
            show = shows[(m // 3) % len(shows)]
            cur = "CNY" if show.startswith("China") else "USD"
            add(f"{show} {first.year}", "Trade Show", cur, 60_000 if cur == "USD" else 400_000, "Event",
                ("", "", ""), lo=lo + 9 * DAY, hi=lo + 11 * DAY, month=m)
    add("Partner Referral Program", "Referral Program", "USD", 10_000, "Partner Referral", ("", "", ""))
    return out, unattributed
