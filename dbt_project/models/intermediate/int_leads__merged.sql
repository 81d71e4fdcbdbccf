-- One row per CRM lead: the canonical lead it is merged into. A lead with the same normalized email
-- and the same company (case-insensitive; both blank counts as the same) as a kept lead created at
-- most var('duplicate_lead_window_days') earlier is a duplicate of that lead; otherwise it is kept
-- (canonical) and later leads are compared with it. The window is measured from the canonical
-- lead, so a chain of leads 20 days apart does not merge forever. Leads without an email are
-- never merged. The canonical lead carries the merged leads' journey.

{%- set window_days = var('duplicate_lead_window_days', 30) %}

with recursive

leads as (

    select lead_id, email, company, created_at from {{ ref('stg_crm__leads') }}

),

ordered as (

    select
        lead_id,
        created_at,
        {{ dbt.concat(["email", "'|'", "coalesce(lower(trim(company)), '')"]) }} as match_key,
        row_number() over (
            partition by email, coalesce(lower(trim(company)), '') order by created_at, lead_id
        ) as key_rank
    from leads
    where email is not null

),

-- walk each key's leads in creation order, carrying the current canonical lead
walked as (

    select
        match_key,
        key_rank,
        lead_id,
        created_at,
        lead_id as canonical_lead_id,
        created_at as canonical_created_at
    from ordered
    where key_rank = 1

    union all

    select
        ordered.match_key,
        ordered.key_rank,
        ordered.lead_id,
        ordered.created_at,
        case
            when ordered.created_at <= {{ dbt.dateadd('day', window_days, 'walked.canonical_created_at') }}
                then walked.canonical_lead_id
            else ordered.lead_id
        end as canonical_lead_id,
        case
            when ordered.created_at <= {{ dbt.dateadd('day', window_days, 'walked.canonical_created_at') }}
                then walked.canonical_created_at
            else ordered.created_at
        end as canonical_created_at
    from walked
    inner join ordered
        on ordered.match_key = walked.match_key
        and ordered.key_rank = walked.key_rank + 1

),

final as (

    select
        leads.lead_id,
        coalesce(walked.canonical_lead_id, leads.lead_id) as canonical_lead_id,
        coalesce(walked.canonical_lead_id <> leads.lead_id, false) as is_duplicate,
        case
            when walked.canonical_lead_id <> leads.lead_id then 'same_email_and_company_within_window'
        end as merge_rule,
        cast(count(*) over (partition by coalesce(walked.canonical_lead_id, leads.lead_id)) as {{ dbt.type_int() }})
            as merged_lead_count,
        {{ days_between('walked.canonical_created_at', 'leads.created_at') }} as days_after_canonical,
        leads.created_at
    from leads
    left join walked
        on leads.lead_id = walked.lead_id

)

select * from final
