-- One row per canonical lead: its first touch and its last touch before conversion (the earliest of
-- converted_at and its first opportunity's creation; all touches when it never converted).
-- Touches that carry channel evidence (a channel_mapping rule matched) come before touches that
-- carry none, as web analytics skips "direct" visits: an untagged form post before the lead record
-- must not turn a Paid Search lead into `other`. Ties at the same instant prefer the most specific
-- touch: form submission, then campaign response, then the lead record.
-- Partition-incremental (macros/partitions.sql): a night recomputes only the canonical leads whose
-- touches (the digest int_leads__touches stored for them) or conversion cutoff changed, and keeps
-- the others' rows.

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

all_leads as {{ inlined_cte() }} (

    select lead_id, converted_at from {{ ref('int_leads__resolved') }}

),

all_touches as (

    select
        lead_id,
        touch_id,
        touch_type,
        touch_at,
        has_channel_evidence,
        channel_key,
        campaign_id,
        campaign_name
    from {{ ref('int_leads__touches') }}

),

opportunity_links as (

    select * from {{ ref('int_opportunities__linked') }}

),

opportunities as (

    select opportunity_id, created_at from {{ ref('stg_crm__opportunities') }}

),

first_opportunity as (

    select opportunity_links.lead_id, min(opportunities.created_at) as first_opportunity_created_at
    from opportunity_links
    inner join opportunities
        on opportunity_links.opportunity_id = opportunities.opportunity_id
    where opportunity_links.lead_id is not null
    group by opportunity_links.lead_id

),

all_cutoffs as (

    select
        leads.lead_id,
        case
            when leads.converted_at is null then first_opportunity.first_opportunity_created_at
            when first_opportunity.first_opportunity_created_at is null then leads.converted_at
            when leads.converted_at < first_opportunity.first_opportunity_created_at then leads.converted_at
            else first_opportunity.first_opportunity_created_at
        end as conversion_at
    from all_leads as leads
    left join first_opportunity
        on leads.lead_id = first_opportunity.lead_id

),

attribution_input_digests as {{ not_materialized() }} (

    -- what a lead's row is computed from, one value per input: the digest int_leads__touches
    -- stored for the lead (it covers everything the lead's touches are computed from, so the
    -- touches are not hashed again every night), and its conversion cutoff
    select lead_id, _partition_digest as input_digest
    from {{ ref('int_leads__touches') }}
    where _partition_digest is not null
    union all
    select cutoffs.lead_id, {{ row_hash('cutoffs') }}
    from all_cutoffs as cutoffs

),

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets('select lead_id, input_digest as contribution from attribution_input_digests', 'lead_id', shared_digest()) }}

),
{%- endif %}

input_digests as (

    -- every canonical lead (each has a cutoff row; in an incremental run, those of changed buckets)
    select lead_id, sum(input_digest) + {{ shared_digest() }} as _partition_digest
    from attribution_input_digests
    where {{ in_changed_buckets('lead_id') }}
    group by lead_id

),

{%- if is_incremental() %}

changed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

leads as (

    select all_leads.* from all_leads {{ only_changed_partitions('all_leads', 'changed_leads', ['lead_id']) }}

),

touches as (

    select all_touches.* from all_touches {{ only_changed_partitions('all_touches', 'changed_leads', ['lead_id']) }}

),

cutoffs as (

    select all_cutoffs.* from all_cutoffs {{ only_changed_partitions('all_cutoffs', 'changed_leads', ['lead_id']) }}

),

ranked as (

    -- each touch with its lead's touch count and its rank as first and as last touch
    select
        touches.lead_id,
        touches.touch_type,
        touches.touch_at,
        touches.channel_key,
        touches.campaign_id,
        touches.campaign_name,
        count(*) over (partition by touches.lead_id) as touch_count,
        row_number() over (
            partition by touches.lead_id
            order by
                case when touches.has_channel_evidence then 0 else 1 end,
                touches.touch_at,
                case touches.touch_type when 'form_submission' then 1 when 'campaign_member' then 2 else 3 end,
                touches.touch_id
        ) as first_rank,
        row_number() over (
            partition by touches.lead_id
            order by
                case when cutoffs.conversion_at is null or touches.touch_at <= cutoffs.conversion_at then 0 else 1 end,
                case when touches.has_channel_evidence then 0 else 1 end,
                touches.touch_at desc,
                case touches.touch_type when 'form_submission' then 1 when 'campaign_member' then 2 else 3 end,
                touches.touch_id
        ) as last_rank
    from touches
    inner join cutoffs
        on touches.lead_id = cutoffs.lead_id

),

first_and_last as (

    -- one row per lead with touches: its first and last touch side by side (rank 1 is one row, so
    -- max() returns its value, null included; any_value is not on every engine). One read of the
    -- ranked touches: read twice (a join per rank), DuckDB stored all of them, and at 10M leads
    -- (25M touches) the full build ran out of its 3 GB memory limit
    select
        lead_id,
        max(touch_count) as touch_count,
        max(case when first_rank = 1 then touch_type end) as first_touch_type,
        max(case when first_rank = 1 then touch_at end) as first_touch_at,
        max(case when first_rank = 1 then channel_key end) as first_touch_channel_key,
        max(case when first_rank = 1 then campaign_id end) as first_touch_campaign_id,
        max(case when first_rank = 1 then campaign_name end) as first_touch_campaign_name,
        max(case when last_rank = 1 then touch_type end) as last_touch_type,
        max(case when last_rank = 1 then touch_at end) as last_touch_at,
        max(case when last_rank = 1 then channel_key end) as last_touch_channel_key,
        max(case when last_rank = 1 then campaign_id end) as last_touch_campaign_id,
        max(case when last_rank = 1 then campaign_name end) as last_touch_campaign_name
    from ranked
    where first_rank = 1 or last_rank = 1
    group by lead_id

),

final as (

    select
        leads.lead_id,
        first_and_last.touch_count,
        first_and_last.first_touch_type,
        first_and_last.first_touch_at,
        first_and_last.first_touch_channel_key,
        first_and_last.first_touch_campaign_id,
        first_and_last.first_touch_campaign_name,
        first_and_last.last_touch_type,
        first_and_last.last_touch_at,
        first_and_last.last_touch_channel_key,
        first_and_last.last_touch_campaign_id,
        first_and_last.last_touch_campaign_name,
        cutoffs.conversion_at,
        input_digests._partition_digest
    from leads
    inner join input_digests
        on leads.lead_id = input_digests.lead_id
    left join first_and_last
        on leads.lead_id = first_and_last.lead_id
    left join cutoffs
        on leads.lead_id = cutoffs.lead_id

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed lead (null digest): replace_partitions deletes its stored row first
{{ partition_tombstones('changed_leads', [
    'lead_id', 'touch_count', 'first_touch_type', 'first_touch_at', 'first_touch_channel_key',
    'first_touch_campaign_id', 'first_touch_campaign_name', 'last_touch_type', 'last_touch_at',
    'last_touch_channel_key', 'last_touch_campaign_id', 'last_touch_campaign_name', 'conversion_at',
    '_partition_digest'], ['lead_id']) }}
{%- else %}

select * from final
{%- endif %}
