-- One row per canonical lead (duplicates merged, see int_leads__merged): the canonical lead's own
-- attributes, plus what its merged duplicates add — conversion, the most recent status.

-- Partition-incremental (macros/partitions.sql): a night recomputes only the canonical leads
-- whose members' rows changed (a new duplicate, a new status, a lead merged away) and keeps the rest.

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key='lead_id',
        partition_tombstone='_partition_digest is null',
        on_schema_change='sync_all_columns',
        pre_hook="{{ funnel_warehouse.disable_duckdb_optimizers(['common_subplan']) }}",
        post_hook="{{ funnel_warehouse.restore_duckdb_optimizers() }}",
    )
}}

{#- every CRM lead under its canonical lead (lead_id here), with the columns this model reads (load
    lineage left out on purpose: a re-delivered, unchanged lead changes nothing). Written out where
    it is read rather than as one CTE: a CTE read twice is materialized, and 10M wide rows of it
    ran out of the 3 GB memory limit. DuckDB 2.0 found the repeated subquery and materialized it
    anyway, so its common_subplan optimizer is off for this model (macros/optimizers.sql): at 10M
    leads a night without changes took 22.6 s with it, 6.8 s without, and a full build 44.0 and
    42.7 s. -#}
{%- set member_of_canonical_lead %}
        merged.canonical_lead_id as lead_id,
        leads.lead_id as member_lead_id,
        merged.is_duplicate,
{%- endset %}
{%- set members_under_canonical_leads %}
    from {{ ref('stg_crm__leads') }} as leads
    inner join {{ ref('int_leads__merged') }} as merged
        on leads.lead_id = merged.lead_id
{%- endset %}
{%- set member_rows %}
    select
        {{- member_of_canonical_lead }}
        leads.owner_id,
        leads.campaign_id,
        leads.converted_opportunity_id,
        leads.converted_account_id,
        leads.full_name,
        leads.email,
        leads.phone,
        leads.company,
        leads.title,
        leads.industry,
        leads.employees,
        leads.annual_revenue,
        leads.country,
        leads.region,
        leads.city,
        leads.lead_source,
        leads.disqualify_reason,
        leads.status,
        leads.stage_key,
        leads.is_converted,
        leads.created_at,
        leads.converted_at,
        leads._source_system
    {{- members_under_canonical_leads }}
{%- endset %}

{#- what a member row above is computed from, narrow: the hash base_crm__leads stored of the lead's
    content (every column above but the status's stage_key and the merge), the stage_key the
    mapping gives its status, and its merge. The digests sum these, so the nightly pass over all
    10M leads reads a few columns instead of hashing every column of every lead. -#}
{%- set member_digest_rows %}
    select
        {{- member_of_canonical_lead }}
        leads.content_hash,
        leads.stage_key
    {{- members_under_canonical_leads }}
{%- endset %}

with

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets_of_rows('(' ~ member_digest_rows ~ ')', ['lead_id']) }}

),
{%- endif %}

input_digests as (

    {{ partition_digests('(' ~ member_digest_rows ~ ')', ['lead_id']) }}

),

{%- if is_incremental() %}

changed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

members_in_scope as (

    select all_members.*
    from ({{ member_rows }}) as all_members
    {{ only_changed_partitions('all_members', 'changed_leads', ['lead_id']) }}

),

members as (

    -- only the columns the group facts and the latest member need: the window sorts every lead,
    -- and carrying all of a lead's columns through it made this the slowest model at 10M leads
    select
        lead_id as canonical_lead_id,
        member_lead_id as lead_id,
        status,
        stage_key,
        is_converted,
        created_at,
        converted_at,
        row_number() over (
            partition by lead_id order by created_at desc, member_lead_id desc
        ) as recency_rank
    from members_in_scope

),

group_facts as (

    select
        canonical_lead_id,
        count(*) as merged_lead_count,
        {{ dbt.bool_or('is_converted') }} as is_converted,
        min(converted_at) as converted_at
    from members
    group by canonical_lead_id

),

latest_member as (

    select
        canonical_lead_id,
        lead_id as latest_lead_id,
        status as latest_status,
        stage_key as latest_stage_key,
        created_at as latest_created_at,
        converted_at as latest_converted_at
    from members
    where recency_rank = 1

),

final as (

    select
        canonical.lead_id,
        canonical.owner_id,
        canonical.campaign_id,
        canonical.converted_opportunity_id,
        canonical.converted_account_id,
        canonical.full_name,
        canonical.email,
        canonical.phone,
        canonical.company,
        canonical.title,
        canonical.industry,
        canonical.employees,
        canonical.annual_revenue,
        canonical.country,
        canonical.region,
        canonical.city,
        canonical.lead_source,
        canonical.disqualify_reason,
        -- the most recent record of the person says where they stand now
        latest_member.latest_status as status,
        latest_member.latest_stage_key as stage_key,
        latest_member.latest_lead_id,
        group_facts.merged_lead_count,
        group_facts.is_converted,
        canonical.created_at,
        group_facts.converted_at,
        canonical._source_system,
        input_digests._partition_digest
    from members_in_scope as canonical
    inner join group_facts
        on canonical.lead_id = group_facts.canonical_lead_id
    inner join latest_member
        on canonical.lead_id = latest_member.canonical_lead_id
    inner join input_digests
        on canonical.lead_id = input_digests.lead_id
    where not canonical.is_duplicate

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed canonical lead (null digest): replace_partitions deletes its stored
-- row, then inserts its row of `final`
{{ partition_tombstones('changed_leads', [
    'lead_id', 'owner_id', 'campaign_id', 'converted_opportunity_id', 'converted_account_id', 'full_name',
    'email', 'phone', 'company', 'title', 'industry', 'employees', 'annual_revenue', 'country', 'region',
    'city', 'lead_source', 'disqualify_reason', 'status', 'stage_key', 'latest_lead_id', 'merged_lead_count',
    'is_converted', 'created_at', 'converted_at', '_source_system', '_partition_digest'], ['lead_id']) }}
{%- else %}

select * from final
{%- endif %}
