"""An opportunity's journey through the Salesforce stages, as the OpportunityHistory it leaves.

The funnel outcome (how far the deal gets) is drawn first from the planted stage-to-stage
probabilities; the Salesforce sub-stages, durations, amount revisions, skips and re-openings are
decoration around that outcome, so they never change which funnel stages a deal reaches. Events
after the export time are cut: a deal still in flight is exported open at its current stage.
"""

from __future__ import annotations

import math
import random

from .fmt import DAY, HOUR
from .model import Event, Opportunity, User
from .scenario import LOSS_REASON_BLANK, LOSS_REASONS, OPPORTUNITY_STAGE_TO_STAGE, SHARES, SUBSTAGES

_ENTRY = (("Prospecting", 0.6), ("Qualification", 0.3), ("Needs Analysis", 0.1))
_MEDIAN_DAYS = {"discovery": 6.0, "proposal": 8.0, "negotiation": 14.0, "lost": 12.0}


def _duration(rng: random.Random, key: str) -> int:
    """Time spent in a sub-stage: log-normal around the stage's median, at least two hours."""
    return max(2 * HOUR, int(_MEDIAN_DAYS[key] * DAY * math.exp(rng.gauss(0.0, 0.7))))


def _weighted(rng: random.Random, mix: dict[str, float]) -> str:
    u, acc = rng.random(), 0.0
    for value, w in mix.items():
        acc += w
        if u < acc:
            return value
    return value


def loss_reason(rng: random.Random, stage_key: str) -> str:
    """A Loss_Reason__c drawn from the planted mix of the stage; blank for a planted share."""
    if rng.random() < LOSS_REASON_BLANK:
        return ""
    return _weighted(rng, LOSS_REASONS[stage_key])


def deal_amount(rng: random.Random, employees: int) -> int:
    """Deal size in USD grows with company size; log-normal, rounded to 500."""
    median = 15_000 if employees <= 200 else 40_000 if employees <= 1000 else 120_000 if employees <= 5000 else 400_000
    return max(1_000, min(3_000_000, round(median * math.exp(rng.gauss(0.0, 0.6)) / 500) * 500))


def _discovery_path(rng: random.Random) -> list[str]:
    u, acc, first = rng.random(), 0.0, 0
    for i, (_, w) in enumerate(_ENTRY):
        acc += w
        if u < acc:
            first = i
            break
    subs = SUBSTAGES["discovery"]
    return [subs[first]] + [s for s in subs[first + 1:] if rng.random() < 0.5]


def _proposal_path(rng: random.Random) -> list[str]:
    path = [s for s in SUBSTAGES["proposal"][:3] if rng.random() < 0.45]
    if rng.random() < 0.85 or not path:
        path.append("Proposal/Price Quote")
    return path


def simulate_opportunity(rng: random.Random, *, opp_id: str, account_id: str, name: str, created: int,
                         amount: int, currency: str, rates: tuple[float, float, float], export_at: int,
                         opp_type: str, lead_source: str, campaign_id: str | None, owner: User) -> Opportunity:
    """Draw the outcome with rates = (discovery->proposal, proposal->negotiation, negotiation->won)."""
    p_dp, p_pn, p_nw = rates
    adv_dp = rng.random() < p_dp
    adv_pn = adv_dp and rng.random() < p_pn
    adv_nw = adv_pn and rng.random() < p_nw
    skip = adv_pn and rng.random() < SHARES["skip_proposal"]
    expected_close = created + rng.randint(45, 150) * DAY
    path = _discovery_path(rng)
    if adv_dp and not skip:
        path += _proposal_path(rng)
    if adv_pn:
        path.append("Negotiation/Review")
    events: list[Event] = []
    t = created
    for stage in path:
        if events:
            t += _duration(rng, OPPORTUNITY_STAGE_TO_STAGE[events[-1].stage])
        if stage == "Proposal/Price Quote":  # the quote revises the amount
            amount = max(1_000, round(amount * rng.uniform(0.85, 1.15) / 500) * 500)
        events.append(Event(t, stage, amount, expected_close))
    last_key = OPPORTUNITY_STAGE_TO_STAGE[events[-1].stage]
    t += _duration(rng, last_key if adv_nw else "lost")
    if adv_nw:
        events.append(Event(t, "Closed Won", amount, t))
    else:
        events.append(Event(t, "Closed Lost", amount, t, loss_reason(rng, last_key)))
        if rng.random() < SHARES["reopen"]:  # re-opened to the stage it was lost at, never beyond
            back = events[-2].stage
            t += rng.randint(5, 30) * DAY + rng.randint(0, DAY)
            events.append(Event(t, back, amount, t + rng.randint(30, 90) * DAY))
            if rng.random() < SHARES["relost_after_reopen"]:
                t += rng.randint(10, 40) * DAY + rng.randint(0, DAY)
                events.append(Event(t, "Closed Lost", amount, t, loss_reason(rng, last_key)))
    events = [e for e in events if e.ts < export_at]
    reached = _reached(events)
    return Opportunity(opp_id, account_id, name, created, currency, events, opp_type, lead_source, campaign_id,
                       owner, skipped_proposal=skip and "negotiation" in reached,
                       reopened=any(e.stage == "Closed Lost" for e in events[:-1]), reached=reached)


def _reached(events: list[Event]) -> tuple[str, ...]:
    """Funnel stages reached, with METRICS.md's rule that a skipped stage counts as passed."""
    order = ("discovery", "proposal", "negotiation", "won")
    keys = {OPPORTUNITY_STAGE_TO_STAGE[e.stage] for e in events}
    top = max((order.index(k) for k in keys if k in order), default=-1)
    return order[: top + 1]
