-- One row per CRM lead: the canonical lead it is merged into. A lead with the same normalized email
-- and the same company (case-insensitive; both blank counts as the same) as a kept lead created at
-- most var('duplicate_lead_window_days') earlier is a duplicate of that lead; otherwise it is kept
-- (canonical) and later leads are compared with it. The window is measured from the canonical
-- lead, so a chain of leads 20 days apart does not merge forever. Leads without an email are
-- never merged. The canonical lead carries the merged leads' journey.
-- Partition-incremental (macros/partitions.sql): a partition is one match key (email and company),
-- or one lead without an email, and a night walks only the partitions whose leads changed. The
-- partition is stored as a hash of its key (_partition_key), not as the key: the key holds the
-- e-mail, and a hash is a fraction of its size. Two keys with the same hash share a partition,
-- which only means they are walked together.

{%- set window_days = var('duplicate_lead_window_days', 30) %}

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key='_partition_key',
        partition_tombstone='lead_id is null',
        on_schema_change='sync_all_columns',
    )
}}

{#- every CRM lead with its match key and partition key, the row a partition's digest sums. Written
    out where it is read rather than as one CTE: a CTE read twice is materialized, and 10M rows of
    it (e-mails in the key) do not fit beside the walk in the 3 GB memory limit. -#}
{%- set keyed_leads %}
    select
        keyed.lead_id,
        keyed.created_at,
        keyed.match_key,
        {{ digest_text_hash("coalesce('key|' || keyed.match_key, 'lead|' || keyed.lead_id)") }} as _partition_key
    from (
        select
            lead_id,
            created_at,
            case
                when email is not null then {{ dbt.concat(["email", "'|'", "coalesce(lower(trim(company)), '')"]) }}
            end as match_key
        from {{ ref('stg_crm__leads') }}
    ) as keyed
{%- endset %}

with recursive

{%- if is_incremental() %}

input_digests as (

    {{ partition_digests('(' ~ keyed_leads ~ ')', ['_partition_key']) }}

),

changed_partitions as (

    {{ changed_partitions('input_digests', ['_partition_key']) }}

),
{%- endif %}

leads as (

    select all_leads.*
    from ({{ keyed_leads }}) as all_leads
    {{ only_changed_partitions('all_leads', 'changed_partitions', ['_partition_key']) }}

),

ordered as (

    select
        leads.lead_id,
        leads.created_at,
        leads.match_key,
        row_number() over (partition by leads.match_key order by leads.created_at, leads.lead_id) as key_rank,
        -- the key's input digest (partition_digests' value), in the same sort as the rank
        sum({{ row_hash('leads') }}) over (
            partition by leads.match_key order by leads.created_at, leads.lead_id
            rows between unbounded preceding and unbounded following
        ) + {{ shared_digest() }} as key_digest
    from leads
    where leads.match_key is not null

),

-- walk each key's leads in creation order, carrying the current canonical lead
walked as (

    select
        match_key,
        key_rank,
        lead_id,
        created_at,
        lead_id as canonical_lead_id,
        created_at as canonical_created_at,
        key_digest
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
        end as canonical_created_at,
        cast(null as {{ digest_type() }}) as key_digest
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
        leads._partition_key,
        -- lineage: the partition's input digest, on its first lead (macros/partitions.sql); a lead
        -- without an email is a partition of its own
        case
            when leads.match_key is null then {{ row_hash('leads') }} + {{ shared_digest() }}
            else walked.key_digest
        end as _partition_digest
    from leads
    left join walked
        on leads.lead_id = walked.lead_id

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed partition (null lead_id): replace_partitions deletes its stored rows
{{ partition_tombstones('changed_partitions', [
    'lead_id', 'canonical_lead_id', 'is_duplicate', 'merge_rule', 'merged_lead_count', 'days_after_canonical',
    'created_at', '_partition_key', '_partition_digest'], ['_partition_key']) }}
{%- else %}

select * from final
{%- endif %}
