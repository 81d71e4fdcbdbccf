"""The simulated business's entities, as plain records passed from the simulation to the writers.

The simulation decides what happened (with timestamps, in epoch seconds UTC); the writers decide
only how each vendor spells it. A record lives for one lead's story and is then dropped, so memory
does not grow with the number of leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .reference import Company


@dataclass(slots=True)
class User:
    id: str
    first: str
    last: str
    team: str
    division: str
    title: str
    role_id: str
    manager_id: str | None
    created: int
    active_until_month: int | None = None  # left the company: owns leads only before this month

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(slots=True)
class AdsCampaign:
    ads_id: str
    name: str            # what utm_campaign carries
    channel: str         # Google Ads "Campaign type": Search / Display
    currency: str
    account: str         # Google Ads customer id
    status: str          # Enabled / Paused / Removed
    cpc_cents: int
    ctr: float
    cvr: float           # form submissions per click
    listed: bool = True  # removed campaigns appear only in "Total: Account"
    active_months: tuple[int, ...] | None = None  # None = every month


@dataclass(slots=True)
class Campaign:
    id: str
    name: str
    type: str
    start: int
    end: int
    currency: str
    budget: int
    source: str          # the LeadSource whose leads it attracts
    utm_campaign: str
    utm_source: str
    utm_medium: str
    ads: AdsCampaign | None = None
    month: int | None = None  # for one-month campaigns (newsletter, webinar, trade show)
    counts: dict = field(default_factory=dict)  # filled while generating: leads, converted, ...


@dataclass(slots=True)
class Event:
    """One OpportunityHistory row: the opportunity entered `stage` at `ts`."""

    ts: int
    stage: str
    amount: int
    close_ts: int
    loss_reason: str = ""


@dataclass(slots=True)
class Opportunity:
    id: str
    account_id: str
    name: str
    created: int
    currency: str
    events: list[Event]
    type: str
    lead_source: str
    campaign_id: str | None
    owner: User
    skipped_proposal: bool = False
    reopened: bool = False
    reached: tuple[str, ...] = ()


@dataclass(slots=True)
class Task:
    id: str
    ts: int
    subject: str
    what_id: str
    owner_id: str
    completed: bool


@dataclass(slots=True)
class Submission:
    ts: int
    form: str
    name: str
    email: str
    phone: str
    company: str
    help_text: str
    utm: dict[str, str]
    landing_page: str
    campaign: Campaign | None = None
    phone_only: bool = False
    lead_id: str | None = None


@dataclass(slots=True)
class Lead:
    id: str
    month: int
    created: int
    source: str
    company: Company
    first: str
    last: str
    salutation: str
    email: str
    phone: str
    title: str
    country: str
    owner: User
    creator_id: str
    product: str
    campaign: Campaign | None = None
    status: str = "New"
    disqualify_reason: str = ""
    converted_at: int | None = None
    opportunity: Opportunity | None = None
    account_id: str | None = None
    account_created: bool = False  # this conversion created the account (write its Account row)
    repeat: Opportunity | None = None  # upgrade deal opened after this lead's deal was won
    contact_id: str | None = None
    is_deleted: bool = False
    duplicate_of: str | None = None
    last_modified: int = 0
    tasks: list[Task] = field(default_factory=list)
    submission: Submission | None = None
    other_submissions: list[Submission] = field(default_factory=list)  # same channel, never became leads
    memberships: list[tuple[Campaign, int, bool]] = field(default_factory=list)  # campaign, ts, responded
