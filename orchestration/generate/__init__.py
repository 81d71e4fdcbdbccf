"""Deterministic sample data: vendor-format export files plus the truth that was planted in them.

``generate(landing_dir, leads=..., seed=...)`` writes a Salesforce Data Export (``salesforce/``),
Tally form exports (``forms/``) and Google Ads campaign reports (``ads/``) into a landing folder,
and the planted truth into ``landing_dir/.truth/planted_truth.json`` (hidden, so the ingest skips
it). Modules: ``scenario`` (planted rates), ``reference``/``people`` (fake entities), ``org``
(users, campaigns), ``leads``/``opportunity``/``submissions`` (the simulated journeys),
``salesforce``/``tally``/``google_ads`` (writers), ``truth`` (the truth file), ``run`` (the pass),
``deliveries`` (several nights' exports in dated folders of one landing folder).
"""

from .deliveries import export_date, generate_delivery
from .org import normalize_campaign_name
from .run import TRUTH_DIR, TRUTH_FILE, generate, monthly_counts
from .scenario import LEAD_STATUS_TO_STAGE, OPPORTUNITY_STAGE_TO_STAGE, STAGES, TRANSITIONS

__all__ = ["generate", "generate_delivery", "export_date", "monthly_counts", "normalize_campaign_name", "TRUTH_DIR",
           "TRUTH_FILE", "STAGES", "TRANSITIONS", "LEAD_STATUS_TO_STAGE", "OPPORTUNITY_STAGE_TO_STAGE"]
