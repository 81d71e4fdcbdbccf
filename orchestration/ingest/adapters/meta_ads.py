"""Meta Ads Manager exports (Ads Manager → Reports → Export table data), in the UI's language.

The column labels follow the user's language (``Amount spent (USD)``, ``Importe gastado (EUR)``)
and the currency is only in the spend column's label, so it is read from the header. A ``Day``
breakdown gives one row per campaign × day; without it each row covers ``Reporting starts`` …
``Reporting ends`` and is loaded with that period (and as a day when both are the same date).
The optional summary row (blank campaign name) is excluded, and its spend must equal the sum of
the campaign rows. Ad set and ad level exports are recognised and not loaded: spend is taken at
campaign level only, so the same money is never counted twice. Delivery mode: one file per
reporting period; re-delivering the same path replaces it.
"""

from __future__ import annotations

import re

from orchestration.ingest.adapters.ad_spend import spend_columns
from orchestration.ingest.adapters.base import Col, ReadPlan, TotalCheck, find_header, has_any, ref
from orchestration.ingest.files import FileSample

# language -> labels of the export (best effort from Meta's localized UI; extend as files arrive)
LABELS = {
    "en": dict(starts="Reporting starts", ends="Reporting ends", campaign="Campaign name", campaign_id="Campaign ID",
               impressions="Impressions", clicks="Link clicks", spend=r"Amount spent(?: \((?P<cur>[A-Z]{3})\))?",
               day="Day", account="Account ID", adset="Ad set name", ad="Ad name", currency="Currency", results="Results"),
    "es": dict(starts="Inicio del informe", ends="Fin del informe", campaign="Nombre de la campaña",
               campaign_id="Identificador de la campaña", impressions="Impresiones", clicks="Clics en el enlace",
               spend=r"Importe gastado(?: \((?P<cur>[A-Z]{3})\))?", day="Día", account="Identificador de la cuenta",
               adset="Nombre del conjunto de anuncios", ad="Nombre del anuncio", currency="Divisa", results="Resultados"),
    "fr": dict(starts="Début des rapports", ends="Fin des rapports", campaign="Nom de la campagne",
               campaign_id="Identifiant de la campagne", impressions="Impressions", clicks="Clics sur un lien",
               spend=r"Montant dépensé(?: \((?P<cur>[A-Z]{3})\))?", day="Jour", account="Identifiant du compte",
               adset="Nom de l’ensemble de publicités", ad="Nom de la publicité", currency="Devise", results="Résultats"),
    "de": dict(starts="Berichtsbeginn", ends="Berichtsende", campaign="Name der Kampagne", campaign_id="Kampagnen-ID",
               impressions="Impressionen", clicks="Link-Klicks", spend=r"Ausgegebener Betrag(?: \((?P<cur>[A-Z]{3})\))?",
               day="Tag", account="Konto-ID", adset="Name der Anzeigengruppe", ad="Name der Anzeige", currency="Währung",
               results="Ergebnisse"),
    "pt": dict(starts="Início dos relatórios", ends="Término dos relatórios", campaign="Nome da campanha",
               campaign_id="Identificação da campanha", impressions="Impressões", clicks="Cliques no link",
               spend=r"Valor usado(?: \((?P<cur>[A-Z]{3})\))?", day="Dia", account="Identificação da conta",
               adset="Nome do conjunto de anúncios", ad="Nome do anúncio", currency="Moeda", results="Resultados"),
}


def _spend_column(fields: list[str], pattern: str) -> tuple[str, str | None] | None:
    for f in fields:
        m = re.fullmatch(pattern, f, re.I)
        if m:
            return f, m.group("cur")
    return None


def _match(fields: list[str]) -> tuple[str, dict, str, str | None] | None:
    for lang, lab in LABELS.items():
        spend = _spend_column(fields, lab["spend"])
        if spend and has_any(fields, lab["campaign"]) and has_any(fields, lab["starts"]):
            return lang, lab, spend[0], spend[1]
    return None


class MetaAdsAdapter:
    name = "meta_ads"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        found = find_header(sample.lines, lambda f: _match(f) is not None, delimiters=(",", "\t", ";"), max_lines=5)
        if found is None:
            return None
        line, fields, delimiter = found
        lang, lab, spend, currency = _match(fields)
        starts, ends = ref(lab["starts"]), ref(lab["ends"])
        if has_any(fields, lab["day"]):
            date = Col(lab["day"], "date")
        else:  # one row per period: a day when the period is one day
            date = Col(expr=f"case when fw_text({starts}) = fw_text({ends}) then {starts} end", kind="date")
        columns = spend_columns(
            "meta_ads", campaign=lab["campaign"], campaign_id=lab["campaign_id"], spend=spend,
            impressions=lab["impressions"], clicks=lab["clicks"], date=date, account=(lab["account"], "Account ID"),
            currency_const=currency, currency=None if currency else lab["currency"],
            period_cols=(Col(lab["starts"], "date"), Col(lab["ends"], "date")),
        )
        summary = f"fw_text({ref(lab['campaign'])}) is null"
        plan = ReadPlan(
            adapter=f"{self.name}/{lang}", source_system="meta_ads", target_table="ad_spend", columns=columns,
            header_line=line, delimiter=delimiter, summary_predicate=summary, delivery="snapshot",
            total_check=TotalCheck(label_predicate=summary, label="summary row", measures={"spend": spend}),
            notes=[] if currency else ["no currency in the spend column's label; read from the Currency column"],
        )
        if has_any(fields, lab["adset"], lab["ad"]):
            plan.target_table, plan.total_check = None, None
            plan.ignore_reason = ("Meta ad set / ad level export recognised; spend is taken from campaign-level exports "
                                  "only, so the same money is never counted twice (export at campaign level)")
        return plan
