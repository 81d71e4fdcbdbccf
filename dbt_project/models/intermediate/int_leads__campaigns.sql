-- One row per canonical lead: the campaign of its first campaign touch and of its last campaign
-- touch before conversion — touches (int_leads__touches) that carry a campaign: a CRM campaign
-- membership or lead-record campaign (campaign_id, its own key) or a form's utm_campaign
-- (resolved through int_campaigns__references: seed campaign_mapping, then id, then normalized
-- name). Touches without a campaign (a lead record without campaign, a form without UTM) never
-- hide a campaign touch. Ties at one instant prefer form submission, then campaign response, then
-- the lead record (as int_leads__attribution); the conversion cutoff is int_leads__attribution's.
-- Null keys when the lead has no campaign touch.
-- Partition-incremental (macros/partitions.sql): a night recomputes only the canonical leads whose
-- campaign touches (as resolved tonight) or conversion cutoff changed, and keeps the others' rows.

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key='lead_id',
        partition_tombstone='_partition_digest is null',
        on_schema_change='sync_all_columns',
    )
}}

with

all_leads as (

    select lead_id from {{ ref('int_leads__resolved') }}

),

touches as (

    select * from {{ ref('int_leads__touches') }}

),

all_cutoffs as (

    -- one row per canonical lead, as int_leads__resolved
    select lead_id, conversion_at from {{ ref('int_leads__attribution') }}

),

campaign_refs as (

    select * from {{ ref('int_campaigns__references') }}

),

utm_names as (

    -- each distinct campaign name of the touches without a CRM campaign, normalized once: the regex
    -- over every touch's name was most of this model's time (60 % at 1M leads). Read from the table,
    -- not from the CTE touches: a CTE read twice is materialized whole.
    select names.campaign_name, {{ normalize_name('names.campaign_name') }} as normalized_name
    from (
        select distinct campaign_name from {{ ref('int_leads__touches') }} where campaign_id is null
    ) as names

),

all_campaign_touches as (

    select
        touches.lead_id,
        touches.touch_id,
        touches.touch_type,
        touches.touch_at,
        case
            when touches.campaign_id is not null then coalesce(crm_refs.campaign_key, touches.campaign_id)
            else utm_refs.campaign_key
        end as campaign_key
    from touches
    left join utm_names
        on touches.campaign_id is null
        and touches.campaign_name = utm_names.campaign_name
    left join campaign_refs as crm_refs
        on crm_refs.source = 'crm'
        and touches.campaign_id = crm_refs.reference_id
    left join campaign_refs as utm_refs
        on utm_refs.source = 'utm'
        and touches.campaign_id is null
        and utm_names.normalized_name = utm_refs.normalized_name
    where touches.campaign_id is not null
        or (touches.touch_type = 'form_submission' and utm_names.normalized_name is not null)

),

campaign_inputs as {{ not_materialized() }} (

    -- everything a lead's row is computed from: its campaign touches and its conversion cutoff
    select all_campaign_touches.*, cast(null as {{ dbt.type_timestamp() }}) as conversion_at
    from all_campaign_touches
    union all
    select lead_id, null, null, null, null, conversion_at from all_cutoffs

),

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets_of_rows('campaign_inputs', ['lead_id']) }}

),
{%- endif %}

input_digests as (

    {{ partition_digests('campaign_inputs', ['lead_id']) }}

),

{%- if is_incremental() %}

changed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

leads as (

    select all_leads.* from all_leads {{ only_changed_partitions('all_leads', 'changed_leads', ['lead_id']) }}

),

campaign_touches as (

    select all_campaign_touches.*
    from all_campaign_touches {{ only_changed_partitions('all_campaign_touches', 'changed_leads', ['lead_id']) }}

),

attribution as (

    select all_cutoffs.* from all_cutoffs {{ only_changed_partitions('all_cutoffs', 'changed_leads', ['lead_id']) }}

),

ranked as (

    select
        campaign_touches.*,
        row_number() over (
            partition by campaign_touches.lead_id
            order by
                campaign_touches.touch_at,
                case campaign_touches.touch_type when 'form_submission' then 1 when 'campaign_member' then 2 else 3 end,
                campaign_touches.touch_id
        ) as first_rank,
        row_number() over (
            partition by campaign_touches.lead_id
            order by
                case when attribution.conversion_at is null or campaign_touches.touch_at <= attribution.conversion_at then 0 else 1 end,
                campaign_touches.touch_at desc,
                case campaign_touches.touch_type when 'form_submission' then 1 when 'campaign_member' then 2 else 3 end,
                campaign_touches.touch_id
        ) as last_rank
    from campaign_touches
    left join attribution
        on campaign_touches.lead_id = attribution.lead_id
    where campaign_touches.campaign_key is not null

),

final as (

    select
        leads.lead_id,
        first_touch.campaign_key as first_touch_campaign_key,
        first_touch.touch_type as first_touch_type,
        first_touch.touch_at as first_touch_at,
        last_touch.campaign_key as last_touch_campaign_key,
        last_touch.touch_type as last_touch_type,
        last_touch.touch_at as last_touch_at,
        input_digests._partition_digest
    from leads
    inner join input_digests
        on leads.lead_id = input_digests.lead_id
    left join ranked as first_touch
        on leads.lead_id = first_touch.lead_id
        and first_touch.first_rank = 1
    left join ranked as last_touch
        on leads.lead_id = last_touch.lead_id
        and last_touch.last_rank = 1

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed lead (null digest): replace_partitions deletes its stored row first
{{ partition_tombstones('changed_leads', [
    'lead_id', 'first_touch_campaign_key', 'first_touch_type', 'first_touch_at', 'last_touch_campaign_key',
    'last_touch_type', 'last_touch_at', '_partition_digest'], ['lead_id']) }}
{%- else %}

select * from final
{%- endif %}
