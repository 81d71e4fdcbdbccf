"""One lead's story: who they are, where they came from, how far they get, and when.

The planted probabilities decide the outcome of every transition; timestamps are drawn around
those outcomes and anything after the export time is cut, as a real export taken at the end of
the period would show it. Besides the story of each distinct lead the factory plants the noise a
real CRM has: duplicate leads (same email + company a few days later) and deleted junk leads.
"""

from __future__ import annotations

import random
from datetime import date
from itertools import accumulate

from .fmt import DAY, HOUR, add_months, epoch
from .ids import SalesforceIds
from .model import Campaign, Lead, Opportunity, Task, User
from .opportunity import deal_amount, simulate_opportunity
from .org import team_for
from .people import make_person
from .reference import COUNTRY_SPELLINGS, INDUSTRIES, INDUSTRY_WEIGHTS, PRODUCTS, Company, company
from .scenario import (DISQUALIFY_REASONS, FORM_SOURCES, FX_CNY_PER_USD, LEAD_SOURCES, REPEAT_RATES, SHARES,
                       UNQUALIFIED_OUTCOMES, Scenario, probability_table, source_weights)
from .submissions import SubmissionMaker


def _pick(rng: random.Random, mix: dict[str, float]) -> str:
    u, acc = rng.random(), 0.0
    for value, w in mix.items():
        acc += w
        if u < acc:
            return value
    return value


class LeadFactory:
    """Draws leads month by month; keeps only per-company account ids and small lookup tables."""

    def __init__(self, *, seed: int, leads: int, start: date, months: int, scn: Scenario,
                 reps_by_team: dict[str, list[User]], integration: User, campaigns: list[Campaign]) -> None:
        self.rng = random.Random(f"leads:{seed}")
        self.seed, self.months, self.scn = seed, months, scn
        self.start_ts = epoch(start)
        self.bounds = [(epoch(add_months(start, m)), epoch(add_months(start, m + 1))) for m in range(months + 1)]
        self.export_at = self.bounds[months - 1][1]
        self.table = probability_table(scn, months)
        self.integration = integration
        self.reps = {(t, m): [r for r in reps if r.active_until_month is None or m < r.active_until_month]
                     for t, reps in reps_by_team.items() for m in range(months)}
        self.companies_per_industry = max(25, leads // 20)
        self.ids = {o: SalesforceIds(o, seed) for o in ("Lead", "Opportunity", "Account", "Contact", "Task")}
        self.accounts: dict[int, list] = {}  # company index -> [account id, created ts, first won ts]
        self.serial = 0
        self.campaigns = campaigns
        self._by_source = {(src, m): [c for c in campaigns if c.source == src and (c.month is None or c.month == m)]
                           for src in LEAD_SOURCES for m in range(months)}
        self._source_cum = [list(accumulate(source_weights(scn, m))) for m in range(months)]
        self._industry_cum = list(accumulate(INDUSTRY_WEIGHTS))
        self.submissions = SubmissionMaker(self.rng, self.start_ts)

    # -- choices -------------------------------------------------------------------------------
    def _campaign(self, source: str, comp: Company, month: int, ts: int) -> Campaign | None:
        rng, apac = self.rng, comp.country in ("China", "Singapore")
        by = self._by_source[(source, month)]
        if source == "Paid Search":
            by = [c for c in by if (c.currency == "CNY") == apac]
            return rng.choices(by, weights=[{"Search Brand US": 35, "Search Generic Analytics": 40}.get(c.name, 25)
                                            for c in by])[0]
        if source == "Web":  # a quarter of web leads come from Google display ads that are running
            if rng.random() >= 0.25:
                return None
            return next((c for c in by if (c.currency == "CNY") == apac and c.ads is not None and
                         (c.ads.active_months is None or month in c.ads.active_months)), None)
        if source == "Paid Social":
            return next(c for c in by if c.start <= ts <= c.end)
        if source == "Event":
            shows = [c for c in by if c.type == "Trade Show"]
            return shows[0] if shows and rng.random() < 0.35 else next(c for c in by if c.type == "Webinar")
        return by[0] if by else None

    def _created(self, source: str, month: int, campaign: Campaign | None) -> int:
        lo, hi = self.bounds[month]
        if source == "Event" and campaign is not None:  # scanned badges / attendees arrive after the event
            return min(hi - 1, campaign.start + self.rng.randint(HOUR, 3 * DAY))
        return lo + int(self.rng.random() * (hi - lo))

    # -- the story -----------------------------------------------------------------------------
    def make(self, month: int) -> list[Lead]:
        """The next distinct lead of the month, plus its duplicate and a junk lead when drawn."""
        rng = self.rng
        source = rng.choices(LEAD_SOURCES, cum_weights=self._source_cum[month])[0]
        ind = rng.choices(range(len(INDUSTRIES)), cum_weights=self._industry_cum)[0]
        k = int(self.companies_per_industry * rng.random() ** 2)  # a few companies send many leads
        comp = company(self.seed, k * len(INDUSTRIES) + ind)
        if source == "Event":  # the event decides when its leads arrive
            campaign = self._campaign(source, comp, month, 0)
            created = self._created(source, month, campaign)
        else:
            created = self._created(source, month, None)
            campaign = self._campaign(source, comp, month, created)
        self.serial += 1
        person = make_person(rng, comp, self.serial)
        owner = rng.choice(self.reps[(team_for(comp), month)])
        lead = Lead(self.ids["Lead"].next(), month, created, source, comp, person.first, person.last,
                    person.salutation, person.email, person.phone, person.title, _country(rng, comp.country),
                    owner, self.integration.id if source in FORM_SOURCES else owner.id, rng.choice(PRODUCTS),
                    campaign)
        p = self.table[(month, source, comp.industry)]
        if source in FORM_SOURCES and rng.random() >= SHARES["lead_without_submission"]:
            self.submissions.for_lead(lead, person, self.bounds[month], p[0],
                                      lambda: self._prospect_company(ind, comp), self.next_serial)
        self._journey(lead, p)
        self._memberships(lead)
        out = [lead]
        if rng.random() < SHARES["duplicate_leads"]:
            dup = self._duplicate(lead)
            if dup is not None:
                out.append(dup)
        if rng.random() < SHARES["deleted_leads"]:
            out.append(self._junk(month))
        return out

    def _memberships(self, lead: Lead) -> None:
        """The lead's source campaign (first touch), and for some a later newsletter (a later touch)."""
        if lead.campaign is not None:
            lead.memberships.append((lead.campaign, lead.created, True))
        if lead.month + 1 < self.months and self.rng.random() < 0.2:
            letter = next(c for c in self.campaigns if c.type == "Email" and c.month == lead.month + 1)
            responded = self.rng.random() < 0.3
            lead.memberships.append((letter, letter.start + (self.rng.randint(HOUR, 2 * DAY) if responded else 0),
                                     responded))

    def _prospect_company(self, ind: int, like: Company) -> Company:
        """A company for an inquiry that never became a lead, from the same region as the ad's audience."""
        apac = like.country in ("China", "Singapore")
        for _ in range(20):
            k = int(self.companies_per_industry * self.rng.random())
            comp = company(self.seed, k * len(INDUSTRIES) + ind)
            if (comp.country in ("China", "Singapore")) == apac:
                break
        return comp

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def _journey(self, lead: Lead, p: tuple[float, ...]) -> None:
        rng, t0, export_at = self.rng, lead.created, self.export_at
        contact = None
        if rng.random() < SHARES["first_contact"]:
            if rng.random() < SHARES["first_contact_24h_given_contact"]:
                delay = min(24 * HOUR - 60, max(120, int(rng.expovariate(1 / (4 * HOUR)))))
            else:
                delay = 24 * HOUR + 60 + min(20 * DAY, int(rng.expovariate(1 / (60 * HOUR))))
            contact = t0 + delay
            self._task(lead, contact, rng.choice(("Call", "Call", "Email")), "")
        decided = max(contact or t0, t0) + max(HOUR, min(25 * DAY, int(rng.lognormvariate(12.9, 0.8))))
        for _ in range(rng.randint(0, 2)):
            if contact is not None:
                self._task(lead, rng.randint(contact + 60, decided), rng.choice(("Call", "Email")), "")
        qualified = rng.random() < p[1]
        converts = qualified and rng.random() < p[2]
        if decided >= export_at:
            lead.status = "Working" if contact is not None and contact < export_at else "New"
        elif qualified:
            lead.status = "Qualified"
            convert_at = decided + rng.randint(HOUR, 14 * DAY)
            if converts and convert_at < export_at:
                self._convert(lead, convert_at, p[3:])
        else:
            lead.status = _pick(rng, UNQUALIFIED_OUTCOMES)
            if lead.status == "Unqualified":
                lead.disqualify_reason = _pick(rng, DISQUALIFY_REASONS)
        times = [t0, decided if decided < export_at else t0, lead.converted_at or t0] + [t.ts for t in lead.tasks]
        lead.last_modified = max(x for x in times if x < export_at)

    def _task(self, lead: Lead, ts: int, subject: str, what_id: str) -> None:
        if ts < self.export_at:
            lead.tasks.append(Task(self.ids["Task"].next(), ts, subject, what_id, lead.owner.id, True))

    def _convert(self, lead: Lead, at: int, rates: tuple[float, ...]) -> None:
        rng, comp = self.rng, lead.company
        acct = self.accounts.get(comp.index)
        if acct is None or acct[1] > at:  # a second account when conversions arrive out of order
            acct = [self.ids["Account"].next(), at, None]
            self.accounts.setdefault(comp.index, acct)
            lead.account_created = True
        lead.account_id, lead.converted_at = acct[0], at
        lead.contact_id = self.ids["Contact"].next()
        existing = acct[2] is not None and acct[2] < at
        opp = self._opportunity(lead, acct, at, rates, "Existing Customer - Upgrade" if existing else "New Customer",
                                from_lead=True)
        lead.opportunity = opp
        won = next((e.ts for e in opp.events if e.stage == "Closed Won"), None)
        if won is not None and rng.random() < SHARES["repeat_after_win"]:
            start = won + rng.randint(20, 90) * DAY + rng.randint(0, DAY)
            if start < self.export_at:
                lead.repeat = self._opportunity(lead, acct, start, tuple(REPEAT_RATES.values()),
                                                "Existing Customer - Upgrade", from_lead=False)

    def _opportunity(self, lead: Lead, acct: list, at: int, rates: tuple[float, ...], opp_type: str, *,
                     from_lead: bool) -> Opportunity:
        """A deal on the account; `from_lead` = created by converting the lead (else an upgrade deal)."""
        comp, rng = lead.company, self.rng
        usd = deal_amount(rng, comp.employees)
        cny = comp.country == "China"
        amount = round(usd * FX_CNY_PER_USD / 1000) * 1000 if cny else usd
        opp = simulate_opportunity(
            rng, opp_id=self.ids["Opportunity"].next(), account_id=acct[0],
            name=f"{comp.name} - {lead.product}" + ("" if from_lead else " Upgrade"), created=at, amount=amount,
            currency="CNY" if cny else "USD", rates=rates, export_at=self.export_at, opp_type=opp_type,
            lead_source=lead.source if from_lead else "",
            campaign_id=lead.campaign.id if from_lead and lead.campaign is not None else None, owner=lead.owner)
        for e in opp.events:
            self._task(lead, e.ts + rng.randint(HOUR, 2 * DAY), "Meeting", opp.id)
        won = next((e.ts for e in opp.events if e.stage == "Closed Won"), None)
        if won is not None and (acct[2] is None or won < acct[2]):
            acct[2] = won
        return opp

    def _duplicate(self, lead: Lead) -> Lead | None:
        """Same person and company entered again a few hours to days later (list import, rep)."""
        rng = self.rng
        created = lead.created + rng.randint(2 * HOUR, 4 * DAY)
        if created >= self.export_at:
            return None
        dup = Lead(self.ids["Lead"].next(), lead.month, created, lead.source, lead.company, lead.first, lead.last,
                   lead.salutation, lead.email, lead.phone if rng.random() < 0.5 else "", lead.title, lead.country,
                   lead.owner, lead.owner.id, lead.product, None, duplicate_of=lead.id, last_modified=created)
        if rng.random() < 0.5:
            dup.status, dup.disqualify_reason = "Unqualified", "Duplicate"
        return dup

    def _junk(self, month: int) -> Lead:
        """Spam or test records somebody deleted; they must not count anywhere."""
        rng, (lo, hi) = self.rng, self.bounds[month]
        n = self.next_serial()
        comp = Company(-n, rng.choice(("Test", "asdf", "N/A", "test company")), "", "", "", "", "", 0, 0,
                       "example.com", False)
        created = lo + int(rng.random() * (hi - lo))
        junk = Lead(self.ids["Lead"].next(), month, created, "Web", comp, "Test", f"Test{n}", "",
                    f"test{n}@example.com", "", "", "", self.integration, self.integration.id, "", None,
                    is_deleted=True, last_modified=created)
        junk.status = rng.choice(("New", "Unqualified"))
        junk.disqualify_reason = "Spam / Test" if junk.status == "Unqualified" else ""
        return junk


def _country(rng: random.Random, country: str) -> str:
    """The country as the person typed it (the warehouse normalises spellings)."""
    options = COUNTRY_SPELLINGS.get(country)
    return _pick(rng, dict(options)) if options else country
