-- One row per canonical lead (duplicates merged, see int_leads__merged): the canonical lead's own
-- attributes, plus what its merged duplicates add — conversion, the most recent status.

with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

merged as (

    select * from {{ ref('int_leads__merged') }}

),

members as (

    -- only the columns the group facts and the latest member need: the window sorts every lead,
    -- and carrying all of a lead's columns through it made this the slowest model at 10M leads
    select
        merged.canonical_lead_id,
        leads.lead_id,
        leads.status,
        leads.stage_key,
        leads.is_converted,
        leads.created_at,
        leads.converted_at,
        row_number() over (
            partition by merged.canonical_lead_id order by leads.created_at desc, leads.lead_id desc
        ) as recency_rank
    from leads
    inner join merged
        on leads.lead_id = merged.lead_id

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
        canonical._source_system
    from leads as canonical
    inner join merged
        on canonical.lead_id = merged.lead_id
        and not merged.is_duplicate
    inner join group_facts
        on canonical.lead_id = group_facts.canonical_lead_id
    inner join latest_member
        on canonical.lead_id = latest_member.canonical_lead_id

)

select * from final
