-- One row per form submission (inquiry, 留资) with the canonical lead it became (if any), its
-- campaign (utm_campaign resolved by int_campaigns__references) and its channel: the seed
-- channel_mapping rule matching its utm_medium or utm_source with the lowest priority, else
-- `other` (the same rule as the form-submission touches of int_leads__touches).

with

submissions as (

    select * from {{ ref('stg_forms__submissions') }}

),

matches as (

    select * from {{ ref('int_submissions__matched_to_leads') }}

),

utm_names as (

    -- each distinct utm_campaign, normalized once rather than once per submission (a regex over
    -- 9.5M submissions at 10M leads)
    select names.utm_campaign, {{ normalize_name('names.utm_campaign') }} as normalized_name
    from (select distinct utm_campaign from {{ ref('stg_forms__submissions') }}) as names

),

campaign_refs as (

    select * from {{ ref('int_campaigns__references') }} where source = 'utm'

),

channel_mapping as (

    select match_field, lower(trim(match_value)) as match_value, channel_key, priority
    from {{ ref('channel_mapping') }}
    where match_field in ('utm_medium', 'utm_source')

),

matching_rules as (

    {{ channel_rule_matches('submissions', 'submission_id', ['utm_medium', 'utm_source']) }}

),

channel_candidates as (

    select
        submission_id,
        channel_key,
        row_number() over (partition by submission_id order by priority, channel_key) as channel_rank
    from matching_rules

),

final as (

    select
        submissions.submission_id,
        submissions.submitted_at,
        {{ reporting_month('submissions.submitted_at') }} as submitted_month,
        matches.lead_id,
        matches.lead_id is not null as is_matched_to_lead,
        submissions.utm_campaign,
        campaign_refs.campaign_key,
        coalesce(channel_candidates.channel_key, 'other') as channel_key
    from submissions
    left join matches
        on submissions.submission_id = matches.submission_id
    left join utm_names
        on submissions.utm_campaign = utm_names.utm_campaign
    left join campaign_refs
        on utm_names.normalized_name = campaign_refs.normalized_name
    left join channel_candidates
        on submissions.submission_id = channel_candidates.submission_id
        and channel_candidates.channel_rank = 1

)

select * from final
