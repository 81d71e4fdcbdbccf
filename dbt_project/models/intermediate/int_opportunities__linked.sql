-- One row per opportunity (all its staging attributes) with the canonical lead it came from and
-- the account it belongs to.
-- Lead link: a lead's converted_opportunity_id first (the CRM's own conversion record), else the
-- opportunity's lead_id; both mapped to the canonical lead (duplicates merged).
-- Account link: the opportunity's account_id, else the converting lead's converted_account_id.

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

merged as {{ inlined_cte() }} (

    select * from {{ ref('int_leads__merged') }}

),

accounts as (

    select account_id from {{ ref('stg_crm__accounts') }}

),

conversions as (

    -- a lead (or several merged ones) converted into the opportunity: keep the earliest
    select
        leads.converted_opportunity_id as opportunity_id,
        merged.canonical_lead_id,
        leads.converted_account_id,
        row_number() over (
            partition by leads.converted_opportunity_id order by leads.created_at, leads.lead_id
        ) as conversion_rank
    from leads
    inner join merged
        on leads.lead_id = merged.lead_id
    where leads.converted_opportunity_id is not null

),

final as (

    select
        opportunities.opportunity_id,
        coalesce(conversions.canonical_lead_id, merged.canonical_lead_id) as lead_id,
        opportunities.lead_id as crm_lead_id,
        case
            when conversions.canonical_lead_id is not null then 'lead_converted_opportunity_id'
            when merged.canonical_lead_id is not null then 'opportunity_lead_id'
        end as lead_match_method,
        coalesce(opportunities.account_id, conversions.converted_account_id) as account_id,
        case
            when opportunities.account_id is not null then 'opportunity_account_id'
            when conversions.converted_account_id is not null then 'lead_converted_account_id'
        end as account_match_method,
        accounts.account_id is not null as has_account_record,
        opportunities.campaign_id,
        opportunities.owner_id,
        opportunities.opportunity_name,
        opportunities.stage,
        opportunities.stage_key,
        opportunities.lead_source,
        opportunities.product,
        opportunities.opportunity_type,
        opportunities.loss_reason,
        opportunities.amount,
        opportunities.currency,
        opportunities.probability,
        opportunities.is_won,
        opportunities.is_closed,
        opportunities.created_at,
        opportunities.close_date
    from opportunities
    left join conversions
        on opportunities.opportunity_id = conversions.opportunity_id
        and conversions.conversion_rank = 1
    left join merged
        on opportunities.lead_id = merged.lead_id
    left join accounts
        on coalesce(opportunities.account_id, conversions.converted_account_id) = accounts.account_id

)

select * from final
