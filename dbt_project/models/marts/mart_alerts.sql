-- One row per alert rule (seed alert_rules) × period in which the rule is breached: the observed
-- value (int_alert_observations), the threshold, the severity and the top root-cause candidates of
-- the rule's root_cause_metric for that month from source analysis.mart_root_cause (written by the
-- Python engine after dbt built int_root_cause__leaves), as text and as JSON; empty when none.
-- Only periods with at least the rule's min_volume behind the value are checked, and only complete
-- ones when var alert_complete_periods_only. When mart_root_cause does not exist yet, alerts are
-- still produced, without candidates.

{%- set top_n = var('alert_root_cause_candidates', 3) %}
{%- set complete_only = var('alert_complete_periods_only', true) %}
{%- set root_cause = source('analysis', 'mart_root_cause') %}
{%- set root_cause_exists = false %}
{%- if execute %}
    {%- set root_cause_relation = adapter.get_relation(
        database=root_cause.database, schema=root_cause.schema, identifier=root_cause.identifier) %}
    {%- set root_cause_exists = root_cause_relation is not none %}
{%- endif %}

with

rules as (

    select
        trim(rule_key) as rule_key,
        trim(metric) as metric,
        trim(comparator) as comparator,
        cast(threshold as {{ type_double() }}) as threshold,
        lower(trim(time_window)) as time_window,
        coalesce(cast(min_volume as {{ dbt.type_bigint() }}), 0) as min_volume,
        lower(trim(severity)) as severity,
        nullif(trim(root_cause_metric), '') as root_cause_metric,
        label_en,
        label_zh
    from {{ ref('alert_rules') }}

),

observations as (

    select * from {{ ref('int_alert_observations') }}

),

breaches as (

    select
        rules.*,
        observations.period_start,
        observations.period_end,
        observations.observed_value,
        observations.volume,
        cast({{ dbt.date_trunc('month', 'observations.period_start') }} as date) as root_cause_period
    from rules
    inner join observations
        on rules.metric = observations.metric
        and rules.time_window = observations.time_window
    where observations.observed_value is not null
        and coalesce(observations.volume, 0) >= rules.min_volume
        {%- if complete_only %}
        and observations.is_period_complete
        {%- endif %}
        and case rules.comparator
            when '<' then observations.observed_value < rules.threshold
            when '<=' then observations.observed_value <= rules.threshold
            when '>' then observations.observed_value > rules.threshold
            when '>=' then observations.observed_value >= rules.threshold
            else false
        end

),

candidates as (

    {%- if root_cause_exists %}
    select
        metric,
        cast(period_to as date) as period_to,
        rank,
        {{ dbt.concat([
            "cast(rank as " ~ dbt.type_string() ~ ")", "'. '",
            "dimension_1", "'='", "coalesce(value_1, '')",
            "case when dimension_2 is not null then " ~ dbt.concat(["' × '", "dimension_2", "'='", "coalesce(value_2, '')"]) ~ " else '' end",
            "' ('", "coalesce(kind, '')", "', contribution '",
            "coalesce(" ~ double_to_text(round_double("cast(contribution as " ~ type_double() ~ ")", 1)) ~ ", '?')", "')'"
        ]) }} as candidate_text,
        {{ dbt.concat([
            "'{\"rank\":'", "cast(rank as " ~ dbt.type_string() ~ ")",
            "',\"kind\":'", json_string('kind'),
            "',\"dimension_1\":'", json_string('dimension_1'),
            "',\"value_1\":'", json_string('value_1'),
            "',\"dimension_2\":'", json_string('dimension_2'),
            "',\"value_2\":'", json_string('value_2'),
            "',\"contribution\":'", "coalesce(" ~ double_to_text(round_double("cast(contribution as " ~ type_double() ~ ")", 6)) ~ ", 'null')",
            "',\"rate_before\":'", "coalesce(" ~ double_to_text(round_double("cast(rate_before as " ~ type_double() ~ ")", 6)) ~ ", 'null')",
            "',\"rate_after\":'", "coalesce(" ~ double_to_text(round_double("cast(rate_after as " ~ type_double() ~ ")", 6)) ~ ", 'null')",
            "',\"p_value\":'", "coalesce(" ~ double_to_text(round_double("cast(p_value as " ~ type_double() ~ ")", 6)) ~ ", 'null')",
            "'}'"
        ]) }} as candidate_json
    from {{ root_cause }}
    where row_type = 'candidate'
        and rank <= {{ top_n }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as metric,
        cast(null as date) as period_to,
        cast(null as {{ dbt.type_int() }}) as rank,
        cast(null as {{ dbt.type_string() }}) as candidate_text,
        cast(null as {{ dbt.type_string() }}) as candidate_json
    where 1 = 0
    {%- endif %}

),

candidate_lists as (

    select
        metric,
        period_to,
        count(*) as candidate_count,
        {{ dbt.listagg('candidate_text', "'; '", 'order by rank') }} as candidates_text,
        {{ dbt.listagg('candidate_json', "','", 'order by rank') }} as candidates_json
    from candidates
    group by metric, period_to

),

final as (

    select
        -- grain
        cast({{ dbt.concat(["breaches.rule_key", "':'", dbt.safe_cast("breaches.period_start", dbt.type_string())]) }}
            as {{ dbt.type_string() }}) as alert_id,
        cast(breaches.rule_key as {{ dbt.type_string() }}) as rule_key,
        cast(breaches.period_start as date) as period_start,
        cast(breaches.period_end as date) as period_end,
        cast(breaches.time_window as {{ dbt.type_string() }}) as time_window,

        -- rule
        cast(breaches.metric as {{ dbt.type_string() }}) as metric,
        cast(breaches.comparator as {{ dbt.type_string() }}) as comparator,
        cast(breaches.threshold as {{ type_double() }}) as threshold,
        cast(breaches.severity as {{ dbt.type_string() }}) as severity,
        cast(breaches.label_en as {{ dbt.type_string() }}) as label_en,
        cast(breaches.label_zh as {{ dbt.type_string() }}) as label_zh,

        -- observation
        cast(breaches.observed_value as {{ type_double() }}) as observed_value,
        cast(breaches.volume as {{ dbt.type_bigint() }}) as volume,

        -- root cause
        cast(breaches.root_cause_metric as {{ dbt.type_string() }}) as root_cause_metric,
        cast(case when breaches.root_cause_metric is not null then breaches.root_cause_period end as date)
            as root_cause_period,
        cast(coalesce(candidate_lists.candidate_count, 0) as {{ dbt.type_int() }}) as root_cause_candidate_count,
        cast(coalesce(candidate_lists.candidates_text, '') as {{ dbt.type_string() }}) as top_root_causes_text,
        cast(
            {{ dbt.concat(["'['", "coalesce(candidate_lists.candidates_json, '')", "']'"]) }}
            as {{ dbt.type_string() }}
        ) as top_root_causes_json
    from breaches
    left join candidate_lists
        on breaches.root_cause_metric = candidate_lists.metric
        and breaches.root_cause_period = candidate_lists.period_to

)

select * from final
