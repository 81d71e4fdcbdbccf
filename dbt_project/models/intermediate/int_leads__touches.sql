-- One row per marketing touch of a canonical lead, with its channel:
--   form_submission  a matched web-form submission (UTM source/medium/campaign)
--   campaign_member  a responded CRM campaign membership (at responded_at)
--   lead_record      the CRM lead record itself (its lead source and campaign), at created_at
-- Channel: every seed channel_mapping rule matching the touch's utm_medium, utm_source or lead
-- source (lowercased, trimmed), and its CRM campaign's channel (int_campaigns__channels, at the
-- priority of the rule that decided it); the lowest priority wins; else `other`, and
-- has_channel_evidence is false (an untagged form post says nothing about where the lead came from,
-- so attribution prefers touches that do).
-- Partition-incremental (macros/partitions.sql): a night recomputes only the canonical leads whose
-- touches, or the channel of a campaign they touched, changed, and keeps the others' rows. The
-- digest is stored on the lead's own lead_record touch.

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key='lead_id',
        partition_tombstone='touch_id is null',
        on_schema_change='sync_all_columns',
    )
}}

with

submissions as (

    select * from {{ ref('stg_forms__submissions') }}

),

submission_matches as (

    select * from {{ ref('int_submissions__matched_to_leads') }}

),

members as (

    select * from {{ ref('stg_crm__campaign_members') }}

),

campaigns as (

    select * from {{ ref('stg_crm__campaigns') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

merged as (

    select * from {{ ref('int_leads__merged') }}

),

campaign_channels as (

    select * from {{ ref('int_campaigns__channels') }}

),

channel_mapping as (

    select match_field, lower(trim(match_value)) as match_value, channel_key, priority
    from {{ ref('channel_mapping') }}

),

all_touches as (

    select
        {{ dbt.concat(["'form_submission:'", "submissions.submission_id"]) }} as touch_id,
        submission_matches.lead_id,
        'form_submission' as touch_type,
        submissions.submitted_at as touch_at,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        submissions.utm_campaign as campaign_name,
        submissions.utm_source,
        submissions.utm_medium,
        cast(null as {{ dbt.type_string() }}) as campaign_channel,
        cast(null as {{ dbt.type_string() }}) as lead_source
    from submissions
    inner join submission_matches
        on submissions.submission_id = submission_matches.submission_id
    where submission_matches.lead_id is not null

    union all

    select
        {{ dbt.concat(["'campaign_member:'", "members.member_key"]) }} as touch_id,
        merged.canonical_lead_id as lead_id,
        'campaign_member' as touch_type,
        coalesce(members.responded_at, members.created_at) as touch_at,
        members.campaign_id,
        campaigns.campaign_name,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        campaigns.channel as campaign_channel,
        cast(null as {{ dbt.type_string() }}) as lead_source
    from members
    inner join merged
        on members.lead_id = merged.lead_id
    left join campaigns
        on members.campaign_id = campaigns.campaign_id
    where members.has_responded
        and coalesce(members.responded_at, members.created_at) is not null

    union all

    select
        {{ dbt.concat(["'lead_record:'", "leads.lead_id"]) }} as touch_id,
        merged.canonical_lead_id as lead_id,
        'lead_record' as touch_type,
        leads.created_at as touch_at,
        leads.campaign_id,
        campaigns.campaign_name,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        campaigns.channel as campaign_channel,
        leads.lead_source
    from leads
    inner join merged
        on leads.lead_id = merged.lead_id
    left join campaigns
        on leads.campaign_id = campaigns.campaign_id

),

touch_inputs as {{ not_materialized() }} (

    -- everything a lead's rows are computed from: its touches and the channel of their campaigns
    select
        all_touches.*,
        campaign_channels.channel_key as evidence_channel_key,
        campaign_channels.channel_priority as evidence_channel_priority
    from all_touches
    left join campaign_channels
        on all_touches.campaign_id = campaign_channels.campaign_key
        and campaign_channels.has_channel_evidence

),

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets_of_rows('touch_inputs', ['lead_id']) }}

),

bucket_touch_inputs as (

    -- the touches of the changed buckets' leads, read twice below and so stored once: the few
    -- percent of the touches a night looks at again, instead of a third read of all of them
    select * from touch_inputs where {{ in_changed_buckets('lead_id') }}

),
{%- endif %}

input_digests as (

    {{ partition_digests('bucket_touch_inputs' if is_incremental() else 'touch_inputs', ['lead_id']) }}

),

{%- if is_incremental() %}

changed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

touches as (

    {%- if is_incremental() %}
    select
        all_touches.touch_id,
        all_touches.lead_id,
        all_touches.touch_type,
        all_touches.touch_at,
        all_touches.campaign_id,
        all_touches.campaign_name,
        all_touches.utm_source,
        all_touches.utm_medium,
        all_touches.campaign_channel,
        all_touches.lead_source
    from bucket_touch_inputs as all_touches
    {%- else %}
    select all_touches.* from all_touches
    {%- endif %}
    {{ only_changed_partitions('all_touches', 'changed_leads', ['lead_id']) }}

),

channel_candidates as (

    {{ channel_rule_matches('touches', 'touch_id', ['utm_medium', 'utm_source', 'lead_source']) }}

    union all

    select touches.touch_id, campaign_channels.channel_key, campaign_channels.channel_priority as priority
    from touches
    inner join campaign_channels
        on touches.campaign_id = campaign_channels.campaign_key
    where campaign_channels.has_channel_evidence

),

best_channel as (

    select touch_id, channel_key
    from (
        select
            channel_candidates.*,
            row_number() over (partition by touch_id order by priority, channel_key) as channel_rank
        from channel_candidates
    ) as ranked
    where channel_rank = 1

),

final as (

    select
        touches.*,
        coalesce(best_channel.channel_key, 'other') as channel_key,
        best_channel.channel_key is not null as has_channel_evidence,
        -- on one row of the lead: its own lead record, which every canonical lead has
        case
            when touches.touch_id = {{ dbt.concat(["'lead_record:'", "touches.lead_id"]) }}
                then input_digests._partition_digest
        end as _partition_digest
    from touches
    inner join input_digests
        on touches.lead_id = input_digests.lead_id
    left join best_channel
        on touches.touch_id = best_channel.touch_id

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed lead (null touch_id): replace_partitions deletes its stored rows first
{{ partition_tombstones('changed_leads', [
    'touch_id', 'lead_id', 'touch_type', 'touch_at', 'campaign_id', 'campaign_name', 'utm_source',
    'utm_medium', 'campaign_channel', 'lead_source', 'channel_key', 'has_channel_evidence',
    '_partition_digest'], ['lead_id']) }}
{%- else %}

select * from final
{%- endif %}
