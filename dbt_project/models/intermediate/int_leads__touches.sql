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
-- digest is stored on the lead's own lead_record touch. It is a sum of narrow hashes: each touch's
-- fields are hashed before the joins that find its canonical lead, so that finding the changed
-- leads (every night, over every touch) joins one hash per touch, not its whole row: at 10M leads
-- 5.6 s instead of 17 s, without spilling (docs/benchmarks.md). Only the changed leads' touches are
-- then read whole.

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

submissions as {{ inlined_cte() }} (

    select * from {{ ref('stg_forms__submissions') }}

),

submission_matches as {{ inlined_cte() }} (

    select * from {{ ref('int_submissions__matched_to_leads') }}

),

members as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__campaign_members') }}

),

campaigns as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__campaigns') }}

),

leads as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__leads') }}

),

merged as {{ inlined_cte() }} (

    select * from {{ ref('int_leads__merged') }}

),

campaign_channels as {{ inlined_cte() }} (

    select * from {{ ref('int_campaigns__channels') }}

),

channel_mapping as (

    select match_field, lower(trim(match_value)) as match_value, channel_key, priority
    from {{ ref('channel_mapping') }}

),

campaign_evidence as {{ inlined_cte() }} (

    select campaign_key, channel_key, channel_priority
    from campaign_channels
    where has_channel_evidence

),

form_touches as {{ inlined_cte() }} (

    -- every matched submission's touch, on its canonical lead
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

),

record_touches as {{ inlined_cte() }} (

    -- every touch of a CRM record (a responded membership, the lead record itself), next to the
    -- record's own lead: its canonical lead is joined on later, once over narrow hashes and once
    -- over the touches of the changed leads
    select
        members.lead_id as record_lead_id,
        {{ dbt.concat(["'campaign_member:'", "members.member_key"]) }} as touch_id,
        'campaign_member' as touch_type,
        coalesce(members.responded_at, members.created_at) as touch_at,
        members.campaign_id,
        campaigns.campaign_name,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        campaigns.channel as campaign_channel,
        cast(null as {{ dbt.type_string() }}) as lead_source
    from members
    left join campaigns
        on members.campaign_id = campaigns.campaign_id
    where members.has_responded
        and coalesce(members.responded_at, members.created_at) is not null

    union all

    select
        leads.lead_id,
        {{ dbt.concat(["'lead_record:'", "leads.lead_id"]) }},
        'lead_record',
        leads.created_at,
        leads.campaign_id,
        campaigns.campaign_name,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        campaigns.channel,
        leads.lead_source
    from leads
    left join campaigns
        on leads.campaign_id = campaigns.campaign_id

),

record_touch_hashes as (

    -- one hash per record touch: of its row and its campaign's channel evidence, next to the
    -- record's lead. Stored once when read twice: 18M narrow rows at 10M leads, cheaper than
    -- computing them again.
    select hashed_touches.record_lead_id, {{ row_hash('hashed_touches') }} as touch_hash
    from (
        select
            record_touches.*,
            campaign_evidence.channel_key as evidence_channel_key,
            campaign_evidence.channel_priority as evidence_channel_priority
        from record_touches
        left join campaign_evidence
            on record_touches.campaign_id = campaign_evidence.campaign_key
    ) as hashed_touches

),

{#- (lead_id, contribution) per touch: a lead's digest is the sum over its touches (a form touch
    carries no campaign, so no channel evidence). Read twice in an incremental run: over every
    touch to find the changed buckets, then over the changed buckets' leads only, each branch
    filtered on its lead before its join (so that join is small). -#}
{%- set contribution_passes = [('bucket_contributions', false)] -%}
{%- if is_incremental() -%}
    {%- set contribution_passes = [('all_contributions', false), ('bucket_contributions', true)] -%}
{%- endif -%}
{%- for cte_name, in_changed_buckets_only in contribution_passes %}

{{ cte_name }} as (

    select hashed_form_touches.lead_id, {{ row_hash('hashed_form_touches') }} as contribution
    from (
        select * from form_touches
        {%- if in_changed_buckets_only %}
        where {{ in_changed_buckets('lead_id') }}
        {%- endif %}
    ) as hashed_form_touches

    union all

    select canonical_touches.lead_id, {{ row_hash('canonical_touches') }}
    from (
        select merged.canonical_lead_id as lead_id, record_touch_hashes.touch_hash
        from record_touch_hashes
        inner join (
            select lead_id, canonical_lead_id
            from merged
            {%- if in_changed_buckets_only %}
            where {{ in_changed_buckets('canonical_lead_id') }}
            {%- endif %}
        ) as merged
            on record_touch_hashes.record_lead_id = merged.lead_id
    ) as canonical_touches

),
{%- if cte_name == 'all_contributions' %}

changed_buckets as (

    {{ changed_buckets_of_contributions('all_contributions', 'lead_id', shared_digest()) }}

),
{%- endif %}
{%- endfor %}

input_digests as (

    {{ partition_digests_of_contributions('bucket_contributions', 'lead_id', shared_digest()) }}

),

{%- if is_incremental() %}

changed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

touches as (

    -- in an incremental run, the touches of the changed leads that still exist; all in a full build
    select * from form_touches
    {%- if is_incremental() %}
    where lead_id in (select lead_id from changed_leads where not is_gone)
    {%- endif %}

    union all

    select
        record_touches.touch_id,
        merged.canonical_lead_id as lead_id,
        record_touches.touch_type,
        record_touches.touch_at,
        record_touches.campaign_id,
        record_touches.campaign_name,
        record_touches.utm_source,
        record_touches.utm_medium,
        record_touches.campaign_channel,
        record_touches.lead_source
    from record_touches
    inner join merged
        on record_touches.record_lead_id = merged.lead_id
    {%- if is_incremental() %}
    where merged.canonical_lead_id in (select lead_id from changed_leads where not is_gone)
    {%- endif %}

),

channel_candidates as (

    {{ channel_rule_matches('touches', 'touch_id', ['utm_medium', 'utm_source', 'lead_source']) }}

    union all

    select touches.touch_id, campaign_evidence.channel_key, campaign_evidence.channel_priority as priority
    from touches
    inner join campaign_evidence
        on touches.campaign_id = campaign_evidence.campaign_key

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
