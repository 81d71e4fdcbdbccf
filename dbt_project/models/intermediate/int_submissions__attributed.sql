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

utm_values as (

    -- each distinct pair of normalized utm_medium and utm_source: a submission's channel depends on
    -- nothing else, so it is decided once per pair rather than once per submission (the rules of
    -- 9.5M submissions ranked by a window at 10M leads). A missing value is '', which no rule
    -- matches (channel_mapping's values are tested non-blank).
    select distinct
        {{ normalized_utm('utm_medium') }} as utm_medium,
        {{ normalized_utm('utm_source') }} as utm_source
    from {{ ref('stg_forms__submissions') }}

),

matching_rules as (

    {{ channel_rule_matches('utm_values', ['utm_medium', 'utm_source'], ['utm_medium', 'utm_source']) }}

),

utm_channels as (

    select utm_medium, utm_source, channel_key
    from (
        select
            matching_rules.*,
            row_number() over (
                partition by utm_medium, utm_source order by priority, channel_key
            ) as channel_rank
        from matching_rules
    ) as ranked
    where channel_rank = 1

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
        coalesce(utm_channels.channel_key, 'other') as channel_key
    from submissions
    left join matches
        on submissions.submission_id = matches.submission_id
    left join utm_names
        on submissions.utm_campaign = utm_names.utm_campaign
    left join campaign_refs
        on utm_names.normalized_name = campaign_refs.normalized_name
    left join utm_channels
        on {{ normalized_utm('submissions.utm_medium') }} = utm_channels.utm_medium
        and {{ normalized_utm('submissions.utm_source') }} = utm_channels.utm_source

)

select * from final
