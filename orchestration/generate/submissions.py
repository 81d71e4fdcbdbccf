"""Web-form inquiries (Tally) in front of the leads: the inquiry stage of the funnel.

Each form-sourced lead is usually preceded by its own submission (same person, typed slightly
differently); before it, a geometric number of submissions from the same channel never became
leads, so that leads / submissions estimates the planted inquiry->lead probability. A planted
share of a lead's own submissions carry a blank or mistyped email and match only by phone.
"""

from __future__ import annotations

import random
from typing import Callable
from urllib.parse import urlencode

from .fmt import DAY, HOUR
from .ids import BASE62
from .model import Campaign, Lead, Submission
from .people import Person, make_person, mistyped_email, typed_email, typed_phone
from .reference import HELP_TEXTS, Company
from .scenario import SHARES

FORMS = {"demo_request": "https://example.com/demo", "contact_us": "https://example.com/contact",
         "ebook_download": "https://example.com/resources/funnel-benchmarks-ebook"}
_FORM_BY_SOURCE = {"Paid Search": (("demo_request", 0.8), ("contact_us", 0.2)),
                   "Web": (("contact_us", 0.6), ("demo_request", 0.4)),
                   "Paid Social": (("ebook_download", 0.7), ("demo_request", 0.3)),
                   "Email": (("ebook_download", 0.5), ("contact_us", 0.5))}
_TERMS = ("funnel analytics software", "sales pipeline dashboard", "b2b conversion tracking", "funnelworks",
          "crm reporting tool", "marketing attribution")
_CONTENT = {"cpc": ("rsa_v1", "rsa_v2", "rsa_v3"), "display": ("banner_300x250", "banner_728x90"),
            "paid_social": ("carousel_a", "single_image_b"), "email": ("header_cta", "footer_link")}
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid")
MAX_FAILED = 60  # guard against a pathological probability; never reached with planted rates


class SubmissionMaker:
    def __init__(self, rng: random.Random, start_ts: int) -> None:
        self.rng, self.start_ts = rng, start_ts

    def _gclid(self) -> str:
        return "Cj0KCQjw" + "".join(self.rng.choices(BASE62 + "-_", k=40))

    def _utm(self, campaign: Campaign | None) -> dict[str, str]:
        """Hidden-field values the campaign's tracking template fills in."""
        rng = self.rng
        utm = dict.fromkeys(UTM_KEYS, "")
        if campaign is not None and campaign.utm_source:
            utm.update(utm_source=campaign.utm_source, utm_medium=campaign.utm_medium,
                       utm_campaign=campaign.utm_campaign,
                       utm_content=rng.choice(_CONTENT.get(campaign.utm_medium, ("",))))
            if campaign.utm_medium == "cpc":
                utm["utm_term"] = rng.choice(_TERMS)
            if campaign.utm_source == "google":
                utm["gclid"] = self._gclid()
        return utm

    def _make(self, person: Person, comp: Company, source: str, campaign: Campaign | None, ts: int,
              email: str, phone: str) -> Submission:
        rng = self.rng
        forms = _FORM_BY_SOURCE[source]
        form = forms[0][0] if rng.random() < forms[0][1] else forms[1][0]
        utm = self._utm(campaign)
        page = FORMS[form]
        query = {k: v for k, v in utm.items() if v}
        if query and rng.random() < 0.15:  # hidden fields not wired: the UTMs survive only in the URL
            page = f"{page}?{urlencode(query)}"
            utm = dict.fromkeys(UTM_KEYS, "")
        elif query and rng.random() < 0.4:
            page = f"{page}?{urlencode(query)}"
        return Submission(ts, form, person.full_name, email, phone, comp.name, rng.choice(HELP_TEXTS), utm, page,
                          campaign)

    def for_lead(self, lead: Lead, person: Person, bounds: tuple[int, int], p_inquiry_lead: float,
                 prospect_company: Callable[[], Company], next_serial: Callable[[], int]) -> None:
        """The lead's own submission plus the same channel's submissions that never became leads."""
        rng = self.rng
        delay = min(2 * DAY, max(60, int(rng.expovariate(1 / (2 * HOUR)))))
        ts = max(self.start_ts, lead.created - delay)
        phone_only = bool(person.national) and rng.random() < SHARES["submission_phone_only"]
        if phone_only:
            email, phone = mistyped_email(rng, person.email), typed_phone(rng, person)
        else:
            email = typed_email(rng, person.email)
            phone = typed_phone(rng, person) if rng.random() < 0.7 else ""
        sub = self._make(person, lead.company, lead.source, lead.campaign, ts, email, phone)
        sub.phone_only, sub.lead_id = phone_only, lead.id
        lead.submission = sub
        failed = 0
        while rng.random() >= p_inquiry_lead and failed < MAX_FAILED:
            failed += 1
        lo, hi = bounds
        for _ in range(failed):
            comp = prospect_company()
            other = make_person(rng, comp, next_serial(), personal_email=rng.random() < 0.3)
            t = lo + int(rng.random() * (hi - lo))
            lead.other_submissions.append(
                self._make(other, comp, lead.source, lead.campaign, t, typed_email(rng, other.email),
                           typed_phone(rng, other) if rng.random() < 0.6 else ""))
