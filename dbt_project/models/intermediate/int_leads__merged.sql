-- One row per CRM lead: the canonical lead it is merged into. Leads with the same normalized email
-- are duplicates when each was created within var('duplicate_lead_window_days') of the previous one
-- (a chain); the earliest lead of a chain is canonical and carries the merged leads' journey.
-- Leads without an email are never merged.

{%- set window_days = var('duplicate_lead_window_days', 30) %}

with

leads as (

    select lead_id, email, created_at from {{ ref('stg_crm__leads') }}

),

with_previous as (

    select
        lead_id,
        email,
        created_at,
        lag(created_at) over (partition by email order by created_at, lead_id) as previous_created_at
    from leads
    where email is not null

),

chained as (

    select
        with_previous.*,
        sum(
            case
                when previous_created_at is null then 1
                when {{ dbt.dateadd('day', window_days, 'previous_created_at') }} < created_at then 1
                else 0
            end
        ) over (
            partition by email order by created_at, lead_id rows between unbounded preceding and current row
        ) as chain_number
    from with_previous

),

canonical as (

    select
        lead_id,
        email,
        created_at,
        first_value(lead_id) over (
            partition by email, chain_number order by created_at, lead_id
            rows between unbounded preceding and unbounded following
        ) as canonical_lead_id,
        first_value(created_at) over (
            partition by email, chain_number order by created_at, lead_id
            rows between unbounded preceding and unbounded following
        ) as canonical_created_at,
        count(*) over (partition by email, chain_number) as chain_lead_count
    from chained

),

final as (

    select
        leads.lead_id,
        coalesce(canonical.canonical_lead_id, leads.lead_id) as canonical_lead_id,
        coalesce(canonical.canonical_lead_id <> leads.lead_id, false) as is_duplicate,
        case
            when canonical.canonical_lead_id <> leads.lead_id then 'same_email_within_window'
        end as merge_rule,
        coalesce(canonical.chain_lead_count, 1) as merged_lead_count,
        {{ days_between('canonical.canonical_created_at', 'leads.created_at') }} as days_after_canonical,
        leads.created_at
    from leads
    left join canonical
        on leads.lead_id = canonical.lead_id

)

select * from final
