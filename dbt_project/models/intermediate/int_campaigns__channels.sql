-- One row per campaign of int_campaigns__unified with the channel its evidence names. A campaign
-- is evidenced, most direct first, by its CRM campaign type, the ad platforms that spend on it,
-- and the utm_medium of the form submissions whose utm_campaign resolves to it; each piece is
-- looked up in seed channel_mapping. The most direct evidence wins, except that generic rules
-- (priority 80 and above, such as Salesforce's default campaign type `Advertisement`, which names
-- no channel) only decide when nothing else matched; then the most submissions, then the key.
-- Why the forms count: a LinkedIn campaign typed `Advertisement` with no spend file is only known
-- as paid social by the utm_medium of its posts. A CRM type `Webinar` stays events even when
-- its invitations were promoted by paid search.

with

campaigns as (

    select campaign_key, crm_channel from {{ ref('int_campaigns__unified') }}

),

campaign_refs as (

    select * from {{ ref('int_campaigns__references') }}

),

submission_mediums as (

    -- form submissions counted per utm_campaign and utm_medium: the campaign name is normalized
    -- below once per distinct pair, not once per submission (9.5M at 10M leads)
    select utm_campaign, lower(trim(utm_medium)) as utm_medium, count(*) as submission_count
    from {{ ref('stg_forms__submissions') }}
    where utm_medium is not null
        and utm_campaign is not null
    group by utm_campaign, lower(trim(utm_medium))

),

channel_mapping as (

    select match_field, lower(trim(match_value)) as match_value, channel_key, priority
    from {{ ref('channel_mapping') }}

),

evidence as (

    select campaign_key, 'campaign_channel' as match_field, lower(trim(crm_channel)) as match_value, 1 as evidence_count
    from campaigns
    where crm_channel is not null

    union all

    select campaign_key, 'ad_platform' as match_field, lower(trim(platform)) as match_value, count(*) as evidence_count
    from campaign_refs
    where source = 'ad_platform'
    group by campaign_key, lower(trim(platform))

    union all

    select
        campaign_refs.campaign_key,
        'utm_medium' as match_field,
        submission_mediums.utm_medium as match_value,
        cast(sum(submission_mediums.submission_count) as {{ dbt.type_bigint() }}) as evidence_count
    from submission_mediums
    inner join campaign_refs
        on campaign_refs.source = 'utm'
        and {{ normalize_name('submission_mediums.utm_campaign') }} = campaign_refs.normalized_name
    group by campaign_refs.campaign_key, submission_mediums.utm_medium

),

channel_candidates as (

    select
        evidence.campaign_key,
        channel_mapping.channel_key,
        channel_mapping.priority,
        evidence.match_field,
        sum(evidence.evidence_count) as evidence_count
    from evidence
    inner join channel_mapping
        on evidence.match_field = channel_mapping.match_field
        and evidence.match_value = channel_mapping.match_value
    group by evidence.campaign_key, channel_mapping.channel_key, channel_mapping.priority, evidence.match_field

),

best_channel as (

    select campaign_key, channel_key, priority, match_field
    from (
        select
            channel_candidates.*,
            row_number() over (
                partition by campaign_key
                order by
                    case when priority >= 80 then 1 else 0 end,
                    case match_field when 'campaign_channel' then 1 when 'ad_platform' then 2 else 3 end,
                    priority,
                    evidence_count desc,
                    channel_key
            ) as channel_rank
        from channel_candidates
    ) as ranked
    where channel_rank = 1

),

final as (

    select
        campaigns.campaign_key,
        coalesce(best_channel.channel_key, 'other') as channel_key,
        best_channel.priority as channel_priority,
        best_channel.match_field as channel_evidence,
        best_channel.channel_key is not null as has_channel_evidence
    from campaigns
    left join best_channel
        on campaigns.campaign_key = best_channel.campaign_key

)

select * from final
