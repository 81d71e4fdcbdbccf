"""Root cause of a conversion-rate change (the engine behind ``marts.mart_root_cause``).

* ``decompose`` — exact symmetric mix/rate decomposition per metric, period pair and dimension;
* ``explain`` — ranked single values and value pairs that explain a significant change, each
  with contribution, explanatory power, surprise, p/q-value and kind (rate | mix);
* ``build_root_cause_tables`` — the DuckDB-facing function that writes the mart;
* ``scenarios`` — simulated leaf counts with a planted truth (tests and ``bench/root_cause``).

Method and measured accuracy: docs/root_cause.md.
"""

from .decomposition import decompose, decompose_pair, mix_rate_effects
from .explain import CANDIDATE_COLUMNS, ExplainResult, OverallChange, RootCauseConfig, explain, explain_pair
from .leaves import CountColumns, PeriodPair, align_pair, iter_period_pairs
from .mart import MART_COLUMNS, RootCauseBuild, build_root_cause_tables

__all__ = [
    "CANDIDATE_COLUMNS", "MART_COLUMNS", "CountColumns", "ExplainResult", "OverallChange", "PeriodPair",
    "RootCauseBuild", "RootCauseConfig", "align_pair", "build_root_cause_tables", "decompose",
    "decompose_pair", "explain", "explain_pair", "iter_period_pairs", "mix_rate_effects",
]
