-- One row per form submission with the canonical lead it belongs to. Match on normalized email
-- first, then on normalized phone; among candidate leads take the one created closest in time to
-- the submission (the lead the form created minutes later, or the known lead inquiring again),
-- a lead created after the submission winning a tie. Unmatched submissions keep lead_id null.

with

submissions as (

    select submission_id, submitted_at, email, phone from {{ ref('stg_forms__submissions') }}

),

leads as (

    select lead_id, email, phone, created_at from {{ ref('stg_crm__leads') }}

),

merged as (

    select lead_id, canonical_lead_id from {{ ref('int_leads__merged') }}

),

candidates as (

    -- every lead sharing the submission's email or phone (the submission's time travels along, so
    -- ranking needs no second pass over the submissions)
    select
        submissions.submission_id,
        submissions.submitted_at,
        leads.lead_id,
        leads.created_at as lead_created_at,
        1 as method_priority,
        'email' as match_method
    from submissions
    inner join leads
        on submissions.email = leads.email

    union all

    select
        submissions.submission_id,
        submissions.submitted_at,
        leads.lead_id,
        leads.created_at as lead_created_at,
        2 as method_priority,
        'phone' as match_method
    from submissions
    inner join leads
        on submissions.phone = leads.phone

),

ranked as (

    select
        candidates.*,
        row_number() over (
            partition by candidates.submission_id
            order by
                candidates.method_priority,
                abs({{ dbt.datediff('candidates.submitted_at', 'candidates.lead_created_at', 'second') }}),
                case when candidates.lead_created_at >= candidates.submitted_at then 0 else 1 end,
                candidates.lead_id
        ) as candidate_rank
    from candidates

),

final as (

    select
        submissions.submission_id,
        submissions.submitted_at,
        merged.canonical_lead_id as lead_id,
        ranked.lead_id as matched_crm_lead_id,
        ranked.match_method,
        ranked.lead_created_at as matched_lead_created_at
    from submissions
    left join ranked
        on submissions.submission_id = ranked.submission_id
        and ranked.candidate_rank = 1
    left join merged
        on ranked.lead_id = merged.lead_id

)

select * from final
