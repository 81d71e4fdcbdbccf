"""The simulated business's rules: funnel stages, Salesforce picklists, and every planted rate.

Everything a test compares the warehouse against is decided here, as data, before any record is
drawn: per-segment transition probabilities per cohort month (segment = LeadSource x Industry),
the planted drop, loss-reason mixes and the shares of messy records. The rates are typical of B2B
(inquiry->lead 60-80 %, lead->qualified 20-40 %, qualified->opportunity 50-70 %, each opportunity
stage 50-80 %, won a few % of leads).
"""

from __future__ import annotations

from dataclasses import dataclass

from .reference import INDUSTRIES, INDUSTRY_WEIGHTS

STAGES = ("inquiry", "lead", "qualified", "discovery", "proposal", "negotiation", "won")
TRANSITIONS = ("inquiry->lead", "lead->qualified", "qualified->discovery", "discovery->proposal",
               "proposal->negotiation", "negotiation->won")
LEAD_STATUSES = ("New", "Working", "Nurturing", "Qualified", "Unqualified")
LEAD_STATUS_TO_STAGE = {"New": "lead", "Working": "lead", "Nurturing": "lead", "Qualified": "qualified",
                        "Unqualified": "lost"}
# Salesforce default opportunity stages: (name, funnel stage key, default probability, sort order, forecast).
SF_STAGES = (
    ("Prospecting", "discovery", 10, 1, "Pipeline"),
    ("Qualification", "discovery", 10, 2, "Pipeline"),
    ("Needs Analysis", "discovery", 20, 3, "Pipeline"),
    ("Value Proposition", "proposal", 50, 4, "Pipeline"),
    ("Id. Decision Makers", "proposal", 60, 5, "Pipeline"),
    ("Perception Analysis", "proposal", 70, 6, "Pipeline"),
    ("Proposal/Price Quote", "proposal", 75, 7, "Pipeline"),
    ("Negotiation/Review", "negotiation", 90, 8, "Pipeline"),
    ("Closed Won", "won", 100, 9, "Closed"),
    ("Closed Lost", "lost", 0, 10, "Omitted"),
)
OPPORTUNITY_STAGE_TO_STAGE = {name: key for name, key, *_ in SF_STAGES}
STAGE_INFO = {name: (prob, order, forecast) for name, _, prob, order, forecast in SF_STAGES}
SUBSTAGES = {key: tuple(n for n, k, *_ in SF_STAGES if k == key) for key in ("discovery", "proposal", "negotiation")}

LEAD_SOURCES = ("Web", "Paid Search", "Paid Social", "Email", "Event", "Partner Referral", "Phone Inquiry")
SOURCE_WEIGHTS = (0.24, 0.22, 0.12, 0.12, 0.12, 0.10, 0.08)
FORM_SOURCES = frozenset({"Web", "Paid Search", "Paid Social", "Email"})

BASE_RATES = {"inquiry->lead": 0.70, "lead->qualified": 0.30, "qualified->discovery": 0.58,
              "discovery->proposal": 0.62, "proposal->negotiation": 0.66, "negotiation->won": 0.68}
# Multipliers by lead source and by industry; a missing transition means 1.0.
SOURCE_MULT = {
    "Web": {"inquiry->lead": 0.95, "lead->qualified": 0.95},
    "Paid Search": {"inquiry->lead": 1.05, "lead->qualified": 1.10, "qualified->discovery": 1.05},
    "Paid Social": {"inquiry->lead": 0.90, "lead->qualified": 0.75, "discovery->proposal": 0.9},
    "Email": {"inquiry->lead": 1.12, "lead->qualified": 0.85},
    "Event": {"lead->qualified": 1.15, "qualified->discovery": 1.05},
    "Partner Referral": {"lead->qualified": 1.45, "qualified->discovery": 1.15, "negotiation->won": 1.10},
    "Phone Inquiry": {"lead->qualified": 1.30, "qualified->discovery": 1.05},
}
INDUSTRY_MULT = {
    "Technology": {"lead->qualified": 1.10, "negotiation->won": 1.05},
    "Finance": {"lead->qualified": 0.95, "proposal->negotiation": 0.90},
    "Healthcare": {"lead->qualified": 0.90, "negotiation->won": 0.92},
    "Manufacturing": {"lead->qualified": 1.05, "discovery->proposal": 1.05},
    "Retail": {"lead->qualified": 0.90, "negotiation->won": 0.95},
    "Education": {"lead->qualified": 0.80, "negotiation->won": 0.90},
    "Consulting": {"lead->qualified": 1.00, "discovery->proposal": 0.95},
    "Telecommunications": {"lead->qualified": 1.00, "proposal->negotiation": 1.05},
}
# Upgrade deals on accounts that already won start at discovery and close more often.
REPEAT_RATES = {"discovery->proposal": 0.78, "proposal->negotiation": 0.80, "negotiation->won": 0.80}

LOSS_REASONS = {  # planted mix of Loss_Reason__c by the funnel stage the opportunity was lost at
    "discovery": {"No Budget": 0.30, "Poor Fit": 0.25, "No Decision / Non-Responsive": 0.25, "Timing": 0.12,
                  "Other": 0.08},
    "proposal": {"Price": 0.30, "Lost to Competitor": 0.25, "Missing Features": 0.20,
                 "No Decision / Non-Responsive": 0.15, "Other": 0.10},
    "negotiation": {"Price": 0.40, "Lost to Competitor": 0.35, "Legal / Procurement": 0.15,
                    "No Decision / Non-Responsive": 0.10},
}
LOSS_REASON_BLANK = 0.12  # share of Closed Lost opportunities whose reason nobody filled in
DISQUALIFY_REASONS = {"Not a Fit": 0.30, "No Response": 0.25, "No Budget": 0.20, "Existing Competitor Customer": 0.10,
                      "Student / Personal": 0.10, "Invalid Contact Info": 0.05}
UNQUALIFIED_OUTCOMES = {"Unqualified": 0.55, "Nurturing": 0.30, "Working": 0.15}  # leads that never qualify

SHARES = {
    "skip_proposal": 0.10,       # of opportunities reaching negotiation, no proposal stage in history
    "reopen": 0.05,              # of Closed Lost opportunities, re-opened to the stage they were lost at
    "relost_after_reopen": 0.5,  # of re-opened ones, lost again later
    "duplicate_leads": 0.03,     # extra Lead rows: same email + company within a few days
    "deleted_leads": 0.01,       # extra junk Lead rows with IsDeleted = 1
    "first_contact": 0.94,       # leads with any activity
    "first_contact_24h_given_contact": 0.80,
    "lead_without_submission": 0.06,   # form-source leads with no matching submission
    "submission_phone_only": 0.04,     # lead's submission whose email is blank or mistyped
    "repeat_after_win": 0.30,    # won accounts that open an upgrade deal
    "cny_for_china": 1.0,        # opportunities of Chinese accounts are in CNY
}
FX_CNY_PER_USD = 7.10


@dataclass(frozen=True)
class PlantedDrop:
    lead_source: str
    transition: str
    first_month: int  # index of the first cohort month with the lower rate
    factor: float


@dataclass(frozen=True)
class Scenario:
    """A named variant: the default plants one drop; others exist for root-cause tests."""

    name: str
    drop: PlantedDrop | None
    shift_source: str | None = None  # mix shift: this source's volume multiplied from the drop month
    shift_factor: float = 1.0


def scenario(name: str, months: int) -> Scenario:
    first = min(4, months - 1)
    drop = PlantedDrop("Paid Search", "lead->qualified", first, 0.6) if months >= 2 else None
    if name == "default":
        return Scenario(name, drop)
    if name == "no_change":
        return Scenario(name, None)
    if name == "mix_shift":
        return Scenario(name, drop, shift_source="Paid Social", shift_factor=2.0)
    raise ValueError(f"unknown scenario {name!r}; known: default, no_change, mix_shift")


def probability(scn: Scenario, month: int, source: str, industry: str, transition: str) -> float:
    """The planted probability of one transition for leads created in cohort month `month`."""
    p = BASE_RATES[transition] * SOURCE_MULT[source].get(transition, 1.0)
    if transition != "inquiry->lead":  # an inquiry has no known industry yet
        p *= INDUSTRY_MULT[industry].get(transition, 1.0)
    d = scn.drop
    if d and d.lead_source == source and d.transition == transition and month >= d.first_month:
        p *= d.factor
    return round(min(0.95, max(0.02, p)), 6)


def probability_table(scn: Scenario, months: int) -> dict[tuple[int, str, str], tuple[float, ...]]:
    """(month, source, industry) -> probabilities in TRANSITIONS order, for fast lookup per lead."""
    return {(m, s, i): tuple(probability(scn, m, s, i, t) for t in TRANSITIONS)
            for m in range(months) for s in LEAD_SOURCES for i in INDUSTRIES}


def source_weights(scn: Scenario, month: int) -> tuple[float, ...]:
    """Lead-source mix of a month (normalised), with the scenario's mix shift applied."""
    w = list(SOURCE_WEIGHTS)
    if scn.shift_source and scn.drop and month >= scn.drop.first_month:
        w[LEAD_SOURCES.index(scn.shift_source)] *= scn.shift_factor
    total = sum(w)
    return tuple(x / total for x in w)


def expected_segment_rate(scn: Scenario, month: int, source: str, transition: str) -> float:
    """Industry-weighted expected rate of a lead source (industries are drawn with INDUSTRY_WEIGHTS)."""
    return round(sum(w * probability(scn, month, source, i, transition)
                     for i, w in zip(INDUSTRIES, INDUSTRY_WEIGHTS)), 6)
