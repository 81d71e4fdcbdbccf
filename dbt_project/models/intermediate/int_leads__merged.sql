-- One row per CRM lead: the canonical lead it is merged into. A lead with the same normalized email
-- and the same company (case-insensitive; both blank counts as the same) as a kept lead created at
-- most var('duplicate_lead_window_days') earlier is a duplicate of that lead; otherwise it is kept
-- (canonical) and later leads are compared with it. The window is measured from the canonical
-- lead, so a chain of leads 20 days apart does not merge forever. Leads without an email are
-- never merged. The canonical lead carries the merged leads' journey.
-- Partition-incremental (macros/partitions.sql): a partition is one match key (email and company),
-- or one lead without an email, and a night walks only the partitions whose leads changed. The
-- partition is stored as a hash of its key (_partition_key: the match_key_hash base_crm__leads
-- computed when it cleaned the lead), not as the key: the key holds the e-mail, and a hash is a
-- fraction of its size. Two keys with the same hash share a partition (one digest, on the
-- partition's first lead), which only means they are recomputed together; the walk itself runs
-- per match key.

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

{#- every CRM lead with the hash of its match key (stored by base_crm__leads, macro
    lead_match_key_hash): the row a partition's digest sums. The key itself (it holds the e-mail) is
    built only for the leads that share a hash with another lead (`duplicate_candidates`). Written out where it is
    read rather than as one CTE: a CTE read twice is materialized, 10M rows of it. -#}
{%- set lead_rows %}
    select lead_id, created_at, match_key_hash
    from {{ ref('stg_crm__leads') }}
{%- endset %}
{%- set partition_key = "coalesce(cast(lead_rows.match_key_hash as " ~ digest_type() ~ "), "
                        ~ digest_text_hash("'lead|' || lead_rows.lead_id") ~ ")" %}

{#- `from (lead_rows) as lead_rows {{ changed_leads_only }}`: in an incremental run, the leads of the
    changed partitions that still exist -#}
{%- set changed_leads_only %}
    {%- if is_incremental() %}
    inner join changed_partitions
        on changed_partitions._partition_key = {{ partition_key }}
    where not changed_partitions.is_gone
    {%- endif %}
{%- endset %}

with recursive

{%- if is_incremental() %}

changed_buckets as (

    {%- set contributions %}
        select {{ partition_key }} as _partition_key, {{ row_hash('lead_rows') }} as contribution
        from ({{ lead_rows }}) as lead_rows
    {%- endset %}
    {{ changed_buckets(contributions, '_partition_key', shared_digest()) }}

),

input_digests as (

    select
        {{ partition_key }} as _partition_key,
        sum({{ row_hash('lead_rows') }}) + {{ shared_digest() }} as _partition_digest
    from ({{ lead_rows }}) as lead_rows
    where {{ in_changed_buckets(partition_key) }}
    group by {{ partition_key }}

),

changed_partitions as (

    {{ changed_partitions('input_digests', ['_partition_key']) }}

),
{%- endif %}

leads as (

    -- every lead recomputed tonight with its partition, and the partition's digest on its first lead
    select
        lead_rows.lead_id,
        lead_rows.created_at,
        lead_rows.match_key_hash,
        {{ partition_key }} as _partition_key,
        row_number() over (
            partition by {{ partition_key }} order by lead_rows.created_at, lead_rows.lead_id
        ) as partition_rank,
        -- partition_digests' value, in the same sort as the rank
        sum({{ row_hash('lead_rows') }}) over (
            partition by {{ partition_key }} order by lead_rows.created_at, lead_rows.lead_id
            rows between unbounded preceding and unbounded following
        ) + {{ shared_digest() }} as partition_digest
    from ({{ lead_rows }}) as lead_rows
    {{ changed_leads_only }}

),

duplicate_key_hashes as (

    -- match key hashes of more than one lead: only their keys can hold leads a walk merges
    select lead_rows.match_key_hash
    from ({{ lead_rows }}) as lead_rows
    {{ changed_leads_only }}
    {{ 'and' if is_incremental() else 'where' }} lead_rows.match_key_hash is not null
    group by lead_rows.match_key_hash
    having count(*) > 1

),

duplicate_candidates as (

    -- those leads with their match key (two keys sharing a hash are walked apart)
    select
        candidates.lead_id,
        candidates.created_at,
        {{ lead_match_key('candidates.email', 'candidates.company') }} as match_key
    from {{ ref('stg_crm__leads') }} as candidates
    where candidates.match_key_hash in (select match_key_hash from duplicate_key_hashes)

),

ordered as (

    select
        duplicate_candidates.lead_id,
        duplicate_candidates.created_at,
        duplicate_candidates.match_key,
        row_number() over (
            partition by duplicate_candidates.match_key
            order by duplicate_candidates.created_at, duplicate_candidates.lead_id
        ) as key_rank
    from duplicate_candidates

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

walked_groups as (

    select
        walked.*,
        count(*) over (partition by walked.canonical_lead_id) as merged_lead_count
    from walked

),

final as (

    -- a lead alone with its key (or without an email) is its own canonical lead
    select
        leads.lead_id,
        coalesce(walked_groups.canonical_lead_id, leads.lead_id) as canonical_lead_id,
        coalesce(walked_groups.canonical_lead_id <> leads.lead_id, false) as is_duplicate,
        case
            when walked_groups.canonical_lead_id <> leads.lead_id then 'same_email_and_company_within_window'
        end as merge_rule,
        cast(coalesce(walked_groups.merged_lead_count, 1) as {{ dbt.type_int() }}) as merged_lead_count,
        case
            when leads.match_key_hash is null then null
            when walked_groups.lead_id is null then 0
            else {{ days_between('walked_groups.canonical_created_at', 'leads.created_at') }}
        end as days_after_canonical,
        leads.created_at,
        leads._partition_key,
        -- lineage: the partition's input digest, on its first lead (macros/partitions.sql)
        case when leads.partition_rank = 1 then leads.partition_digest end as _partition_digest
    from leads
    left join walked_groups
        on leads.lead_id = walked_groups.lead_id

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
