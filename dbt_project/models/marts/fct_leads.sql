-- One row per canonical lead (duplicates merged): dimensions, hashed contact data, attribution,
-- first contact, outcome, and a reached flag + timestamp per stage of var('reached_flag_stages').
-- Partition-incremental (macros/partitions.sql): a night recomputes only the leads whose inputs
-- changed and keeps every other lead's row. A lead's digest is built from the digests its
-- partition-incremental inputs already stored for it (each covers that model's inputs for the
-- lead), so that finding the changed leads reads a few narrow columns instead of every input row.
-- Column _partition_digest is internal: publishing leaves it out (orchestration/publish).

{%- set flag_stages = var('reached_flag_stages') %}

{#- on_schema_change: a contract allows no other; a table stored without digests gains the column -#}
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key='lead_id',
        partition_tombstone='_partition_digest is null',
        on_schema_change='append_new_columns',
    )
}}

{#- the column every join keys on: tonight's changed leads (gone ones included, they become
    tombstones) in an incremental run, every lead in a full build -#}
{%- set lead_key = 'recomputed_leads.lead_id' if is_incremental() else 'leads.lead_id' %}
{#- shared by every lead's digest: the funnel stages, and the PII hash key (a new key rewrites every
    hashed column) -#}
{%- set shared = shared_digest([ref('int_funnel_stages')]) ~ ' + ' ~ digest_text_hash(hash_pii("'partition digest'")) %}

with

owners as (

    select * from {{ ref('int_owners') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

lead_input_digests as {{ not_materialized() }} (

    -- what a lead's row is computed from, one value per input: the digests stored for the lead by
    -- its partition-incremental inputs, and the rows of its other inputs
    select lead_id, _partition_digest as input_digest
    from {{ ref('int_leads__attribution') }}
    union all
    select lead_id, _partition_digest
    from {{ ref('int_lead_journeys__stages_reached') }}
    where _partition_digest is not null
    union all
    -- the lead's own stage entries (its current stage)
    select entity_id, _partition_digest
    from {{ ref('int_stage_events__sequenced') }}
    where entity_type = 'lead' and _partition_digest is not null
    union all
    -- the three first-contact columns it shows, not the whole row: its activity_count moves with
    -- every follow-up call, which changes no lead fact (a one-day delta at 10M leads brought
    -- follow-ups to 69K otherwise unchanged leads)
    select contacts.lead_id, {{ row_hash('contacts') }}
    from (
        select lead_id, first_activity_at, hours_to_first_activity, is_contacted_within_sla
        from {{ ref('int_leads__first_contact') }}
    ) as contacts
    union all
    {{ lead_owner_digests() }}
    union all
    -- each of its opportunities: the link, and the deal's stage entries (its outcome)
    select deal_links.lead_id, {{ row_hash('deal_links') }} + coalesce(deal_entries._partition_digest, 0)
    from {{ ref('int_opportunities__linked') }} as deal_links
    left join {{ ref('int_stage_events__sequenced') }} as deal_entries
        on deal_entries.entity_type = 'opportunity'
        and deal_entries.entity_id = deal_links.opportunity_id
        and deal_entries._partition_digest is not null
    where deal_links.lead_id is not null

),

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets_on_lead_records(ref('int_leads__resolved'), 'lead_input_digests', shared) }}

),
{%- endif %}

input_digests as (

    -- every canonical lead (in an incremental run: those of changed buckets)
    {{ digests_on_lead_records(ref('int_leads__resolved'), 'lead_input_digests', shared) }}

),

{%- if is_incremental() %}

recomputed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

leads as (

    select all_leads.*
    from {{ ref('int_leads__resolved') }} as all_leads
    {{ only_changed_partitions('all_leads', 'recomputed_leads', ['lead_id']) }}

),

attribution as (

    select all_attribution.*
    from {{ ref('int_leads__attribution') }} as all_attribution
    {{ only_changed_partitions('all_attribution', 'recomputed_leads', ['lead_id']) }}

),

first_contact as (

    select all_first_contact.*
    from {{ ref('int_leads__first_contact') }} as all_first_contact
    {{ only_changed_partitions('all_first_contact', 'recomputed_leads', ['lead_id']) }}

),

journeys as (

    select all_journeys.*
    from {{ ref('int_lead_journeys__stages_reached') }} as all_journeys
    {{ only_changed_partitions('all_journeys', 'recomputed_leads', ['lead_id']) }}

),

opportunity_links as (

    select all_links.*
    from {{ ref('int_opportunities__linked') }} as all_links
    {{ only_changed_partitions('all_links', 'recomputed_leads', ['lead_id']) }}

),

events as (

    -- the entries of the leads and deals recomputed tonight
    select all_events.*
    from {{ ref('int_stage_events__unioned') }} as all_events
    where all_events.entity_type in ('lead', 'opportunity')
    {%- if is_incremental() %}
        and (
            (all_events.entity_type = 'lead'
                and all_events.entity_id in (select lead_id from recomputed_leads where not is_gone))
            or (all_events.entity_type = 'opportunity'
                and all_events.entity_id in (select opportunity_id from opportunity_links))
        )
    {%- endif %}

),

current_entries as (

    -- each lead's and opportunity's latest entry
    select entity_type, entity_id, stage_key
    from (
        select
            events.*,
            row_number() over (
                partition by entity_type, entity_id order by entered_at desc, source_sequence desc
            ) as recency_rank
        from events
    ) as ranked
    where recency_rank = 1

),

opportunity_outcomes as (

    select
        opportunity_links.lead_id,
        count(*) as opportunity_count,
        sum(case when stages.is_won then 1 else 0 end) as won_opportunity_count,
        sum(case when stages.is_lost then 1 else 0 end) as lost_opportunity_count
    from opportunity_links
    inner join current_entries
        on current_entries.entity_type = 'opportunity'
        and current_entries.entity_id = opportunity_links.opportunity_id
    inner join stages
        on current_entries.stage_key = stages.stage_key
    where opportunity_links.lead_id is not null
    group by opportunity_links.lead_id

),

reached as (

    select
        journeys.lead_id,
        {%- for s in flag_stages %}
        {{ dbt.bool_or("journeys.stage_key = '" ~ s ~ "' and journeys.is_reached") }} as has_reached_{{ s }},
        max(case when journeys.stage_key = '{{ s }}' then journeys.reached_at end) as {{ s }}_reached_at,
        {%- endfor %}
        {{ dbt.bool_or('journeys.is_reached and stages.is_won') }} as is_won
    from journeys
    inner join stages
        on journeys.stage_key = stages.stage_key
    group by journeys.lead_id

),

final as (

    select
        -- ids
        cast({{ lead_key }} as {{ dbt.type_string() }}) as lead_id,
        cast(leads.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(leads.campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- person (hashed: no raw PII in marts)
        cast({{ hash_pii('leads.email') }} as {{ dbt.type_string() }}) as email_hash,
        cast({{ hash_pii('leads.phone') }} as {{ dbt.type_string() }}) as phone_hash,
        cast({{ hash_pii('leads.full_name') }} as {{ dbt.type_string() }}) as name_hash,

        -- dimensions
        cast(leads.company as {{ dbt.type_string() }}) as company,
        cast(leads.industry as {{ dbt.type_string() }}) as industry,
        cast(leads.employees as {{ dbt.type_bigint() }}) as employees,
        cast({{ company_size_band('leads.employees') }} as {{ dbt.type_string() }}) as company_size_band,
        cast(leads.country as {{ dbt.type_string() }}) as country,
        cast(leads.region as {{ dbt.type_string() }}) as region,
        cast(leads.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(owners.team as {{ dbt.type_string() }}) as owner_team,
        cast(leads.status as {{ dbt.type_string() }}) as status,
        cast(leads.stage_key as {{ dbt.type_string() }}) as status_stage_key,
        cast(leads.merged_lead_count as {{ dbt.type_int() }}) as merged_lead_count,

        -- attribution
        cast(attribution.first_touch_channel_key as {{ dbt.type_string() }}) as first_touch_channel_key,
        cast(attribution.first_touch_campaign_id as {{ dbt.type_string() }}) as first_touch_campaign_id,
        cast(attribution.first_touch_campaign_name as {{ dbt.type_string() }}) as first_touch_campaign_name,
        cast(attribution.first_touch_type as {{ dbt.type_string() }}) as first_touch_type,
        cast(attribution.last_touch_channel_key as {{ dbt.type_string() }}) as last_touch_channel_key,
        cast(attribution.last_touch_campaign_id as {{ dbt.type_string() }}) as last_touch_campaign_id,
        cast(attribution.last_touch_campaign_name as {{ dbt.type_string() }}) as last_touch_campaign_name,
        cast(attribution.last_touch_type as {{ dbt.type_string() }}) as last_touch_type,
        cast(coalesce(attribution.touch_count, 0) as {{ dbt.type_int() }}) as touch_count,

        -- outcome
        leads.is_converted,
        cast(coalesce(opportunity_outcomes.opportunity_count, 0) as {{ dbt.type_int() }}) as opportunity_count,
        cast(coalesce(opportunity_outcomes.won_opportunity_count, 0) as {{ dbt.type_int() }}) as won_opportunity_count,
        cast(current_lead_entry.stage_key as {{ dbt.type_string() }}) as lead_current_stage_key,
        coalesce(reached.is_won, false) as is_won,
        (
            not coalesce(reached.is_won, false)
            and case
                when coalesce(opportunity_outcomes.opportunity_count, 0) = 0 then coalesce(lead_stage.is_lost, false)
                else opportunity_outcomes.lost_opportunity_count = opportunity_outcomes.opportunity_count
            end
        ) as is_lost,

        -- first contact
        first_contact.first_activity_at,
        cast(first_contact.hours_to_first_activity as {{ type_double() }}) as hours_to_first_activity,
        first_contact.is_contacted_within_sla,

        -- timestamps
        leads.created_at,
        {{ reporting_date('leads.created_at') }} as created_date,
        {{ reporting_month('leads.created_at') }} as cohort_month,
        leads.converted_at,

        -- reached stages
        {%- for s in flag_stages %}
        coalesce(reached.has_reached_{{ s }}, false) as has_reached_{{ s }},
        reached.{{ s }}_reached_at,
        {%- endfor %}

        -- lineage: the lead's input digest (macros/partitions.sql); null on a tombstone
        cast(input_digests._partition_digest as {{ digest_type() }}) as _partition_digest

    {%- if is_incremental() %}
    -- every changed lead: a gone one's row is a tombstone (null digest), which makes
    -- replace_partitions delete its stored row
    from recomputed_leads
    left join leads
        on recomputed_leads.lead_id = leads.lead_id
    {%- else %}
    from leads
    {%- endif %}
    left join input_digests
        on {{ lead_key }} = input_digests.lead_id
    left join attribution
        on {{ lead_key }} = attribution.lead_id
    left join first_contact
        on {{ lead_key }} = first_contact.lead_id
    left join reached
        on {{ lead_key }} = reached.lead_id
    left join opportunity_outcomes
        on {{ lead_key }} = opportunity_outcomes.lead_id
    left join current_entries as current_lead_entry
        on current_lead_entry.entity_type = 'lead'
        and current_lead_entry.entity_id = {{ lead_key }}
    left join stages as lead_stage
        on current_lead_entry.stage_key = lead_stage.stage_key
    left join owners
        on leads.owner_id = owners.owner_id

)

select * from final
