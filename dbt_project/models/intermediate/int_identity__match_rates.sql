-- One row per identity link x match method (including `unmatched`): how many records were linked
-- each way, out of all records of the link, so a falling match rate is visible after each load.
--   submission_to_lead      form submissions -> canonical lead (email, then phone)
--   opportunity_to_lead     opportunities -> canonical lead (lead conversion, then opportunity.lead_id)
--   opportunity_to_account  opportunities -> account id (opportunity, then lead conversion)
--   lead_deduplication      CRM leads -> kept as canonical, or merged into an earlier duplicate

with

submissions as (

    select * from {{ ref('int_submissions__matched_to_leads') }}

),

opportunities as (

    select * from {{ ref('int_opportunities__linked') }}

),

merged as (

    select * from {{ ref('int_leads__merged') }}

),

methods as (

    select 'submission_to_lead' as link_type, coalesce(match_method, 'unmatched') as match_method
    from submissions

    union all

    select 'opportunity_to_lead' as link_type, coalesce(lead_match_method, 'unmatched') as match_method
    from opportunities

    union all

    select 'opportunity_to_account' as link_type, coalesce(account_match_method, 'unmatched') as match_method
    from opportunities

    union all

    select 'lead_deduplication' as link_type, coalesce(merge_rule, 'canonical') as match_method
    from merged

),

counted as (

    select link_type, match_method, count(*) as record_count
    from methods
    group by link_type, match_method

),

final as (

    select
        link_type,
        match_method,
        record_count,
        cast(sum(record_count) over (partition by link_type) as {{ dbt.type_bigint() }}) as link_record_count,
        cast(record_count as {{ type_double() }}) / sum(record_count) over (partition by link_type) as share_of_records,
        match_method not in ('unmatched', 'canonical') as is_match
    from counted

)

select * from final
