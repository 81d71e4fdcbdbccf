-- One row per CRM lead: the canonical lead it is merged into. A lead with the same normalized email
-- and the same company (case-insensitive; both blank counts as the same) as a kept lead created at
-- most var('duplicate_lead_window_days') earlier is a duplicate of that lead; otherwise it is kept
-- (canonical) and later leads are compared with it. The window is measured from the canonical
-- lead, so a chain of leads 20 days apart does not merge forever. Leads without an email are
-- never merged. The canonical lead carries the merged leads' journey.
-- Partition-incremental (macros/partitions.sql): a partition is one match key (email and company),
-- or one lead without an email; a night walks only the keys whose leads changed.

{%- set window_days = var('duplicate_lead_window_days', 30) %}

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key=['match_key', 'unmatched_lead_id'],
        partition_tombstone='lead_id is null',
        on_schema_change='sync_all_columns',
    )
}}

with recursive

all_leads as (

    -- partition keys, never null: the match key ('' without an email), and the lead itself when it
    -- has no email ('' with one), so that each email-less lead is a partition of its own
    select
        lead_id,
        created_at,
        case
            when email is not null then {{ dbt.concat(["email", "'|'", "coalesce(lower(trim(company)), '')"]) }}
            else ''
        end as match_key,
        case when email is null then lead_id else '' end as unmatched_lead_id
    from {{ ref('stg_crm__leads') }}

),

input_digests as (

    {{ partition_digests('all_leads', ['match_key', 'unmatched_lead_id']) }}

),

{%- if is_incremental() %}

changed_keys as (

    {{ changed_partitions('input_digests', ['match_key', 'unmatched_lead_id']) }}

),
{%- endif %}

leads as (

    select all_leads.*
    from all_leads {{ only_changed_partitions('all_leads', 'changed_keys', ['match_key', 'unmatched_lead_id']) }}

),

ordered as (

    select
        lead_id,
        created_at,
        match_key,
        row_number() over (partition by match_key order by created_at, lead_id) as key_rank
    from leads
    where unmatched_lead_id = ''

),

-- walk each key's leads in creation order, carrying the current canonical lead
walked as (

    select
        match_key,
        key_rank,
        lead_id,
        created_at,
        lead_id as canonical_lead_id,
        created_at as canonical_created_at
    from ordered
    where key_rank = 1

    union all

    select
        ordered.match_key,
        ordered.key_rank,
        ordered.lead_id,
        ordered.created_at,
        case
            when ordered.created_at <= {{ dbt.dateadd('day', window_days, 'walked.canonical_created_at') }}
                then walked.canonical_lead_id
            else ordered.lead_id
        end as canonical_lead_id,
        case
            when ordered.created_at <= {{ dbt.dateadd('day', window_days, 'walked.canonical_created_at') }}
                then walked.canonical_created_at
            else ordered.created_at
        end as canonical_created_at
    from walked
    inner join ordered
        on ordered.match_key = walked.match_key
        and ordered.key_rank = walked.key_rank + 1

),

final as (

    select
        leads.lead_id,
        coalesce(walked.canonical_lead_id, leads.lead_id) as canonical_lead_id,
        coalesce(walked.canonical_lead_id <> leads.lead_id, false) as is_duplicate,
        case
            when walked.canonical_lead_id <> leads.lead_id then 'same_email_and_company_within_window'
        end as merge_rule,
        cast(count(*) over (partition by coalesce(walked.canonical_lead_id, leads.lead_id)) as {{ dbt.type_int() }})
            as merged_lead_count,
        {{ days_between('walked.canonical_created_at', 'leads.created_at') }} as days_after_canonical,
        leads.created_at,
        leads.match_key,
        leads.unmatched_lead_id,
        -- lineage: the partition's input digest, on its first lead (macros/partitions.sql)
        case
            when leads.unmatched_lead_id <> '' or walked.key_rank = 1 then input_digests._partition_digest
        end as _partition_digest
    from leads
    inner join input_digests
        on leads.match_key = input_digests.match_key
        and leads.unmatched_lead_id = input_digests.unmatched_lead_id
    left join walked
        on leads.lead_id = walked.lead_id

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed key (null lead_id): replace_partitions deletes its stored rows first
{{ partition_tombstones('changed_keys', [
    'lead_id', 'canonical_lead_id', 'is_duplicate', 'merge_rule', 'merged_lead_count', 'days_after_canonical',
    'created_at', 'match_key', 'unmatched_lead_id', '_partition_digest'], ['match_key', 'unmatched_lead_id']) }}
{%- else %}

select * from final
{%- endif %}
