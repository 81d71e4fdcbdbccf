-- One row per canonical lead: the campaign of its first campaign touch and of its last campaign
-- touch before conversion — touches (int_leads__touches) that carry a campaign: a CRM campaign
-- membership or lead-record campaign (campaign_id, its own key) or a form's utm_campaign
-- (resolved through int_campaigns__references: seed campaign_mapping, then id, then normalized
-- name). Touches without a campaign (a lead record without campaign, a form without UTM) never
-- hide a campaign touch. Ties at one instant prefer form submission, then campaign response, then
-- the lead record (as int_leads__attribution); the conversion cutoff is int_leads__attribution's.
-- Null keys when the lead has no campaign touch.

with

leads as (

    select lead_id from {{ ref('int_leads__resolved') }}

),

touches as (

    select * from {{ ref('int_leads__touches') }}

),

attribution as (

    select lead_id, conversion_at from {{ ref('int_leads__attribution') }}

),

campaign_refs as (

    select * from {{ ref('int_campaigns__references') }}

),

campaign_touches as (

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
    left join campaign_refs as crm_refs
        on crm_refs.source = 'crm'
        and touches.campaign_id = crm_refs.reference_id
    left join campaign_refs as utm_refs
        on utm_refs.source = 'utm'
        and touches.campaign_id is null
        and {{ normalize_name('touches.campaign_name') }} = utm_refs.normalized_name
    where touches.campaign_id is not null
        or (touches.touch_type = 'form_submission' and {{ normalize_name('touches.campaign_name') }} is not null)

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
        last_touch.touch_at as last_touch_at
    from leads
    left join ranked as first_touch
        on leads.lead_id = first_touch.lead_id
        and first_touch.first_rank = 1
    left join ranked as last_touch
        on leads.lead_id = last_touch.lead_id
        and last_touch.last_rank = 1

)

select * from final
