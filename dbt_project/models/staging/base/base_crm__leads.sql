-- One row per lead id: its latest delivery (deleted ones included, flagged), columns cleaned and
-- contact data normalized, with two hashes computed once here: of the key that finds duplicate leads
-- (int_leads__merged) and of the lead's content (int_leads__resolved's change detection).
-- The view stg_crm__leads drops deleted leads and maps the status.
-- Incremental: a night reads only the rows of new loads, so the cost follows the delivery and not
-- the history of nightly full exports kept in raw (macros/incremental.sql).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='lead_id',
    )
}}

with

deduplicated as (

    {{ latest_new_delivery(source('raw', 'crm_leads'), 'trim(lead_id)') }}

),

final as (

    select
        -- ids
        {{ clean_id('lead_id') }} as lead_id,
        {{ clean_id('owner_id') }} as owner_id,
        {{ clean_id('campaign_id') }} as campaign_id,
        {{ clean_id('converted_opportunity_id') }} as converted_opportunity_id,
        {{ clean_id('converted_account_id') }} as converted_account_id,

        -- person (PII: stays in staging/intermediate, hashed in marts)
        {{ clean_string('name') }} as full_name,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone', 'country') }} as phone,

        -- company
        {{ clean_string('company') }} as company,
        {{ clean_string('title') }} as title,
        {{ clean_string('industry') }} as industry,
        employees,
        annual_revenue,
        {{ clean_string('country') }} as country,
        {{ clean_string('region') }} as region,
        {{ clean_string('city') }} as city,

        -- funnel
        {{ clean_string('lead_source') }} as lead_source,
        {{ clean_string('status') }} as status,
        {{ clean_string('disqualify_reason') }} as disqualify_reason,
        coalesce(is_converted, false) as is_converted,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        created_at,
        converted_at,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from deduplicated

),

with_hashes as (

    select
        final.*,
        -- the duplicate matching key's hash (int_leads__merged), over the cleaned email and company
        {{ lead_match_key_hash('final.email', 'final.company') }} as match_key_hash,
        -- the hash of the lead's content, load lineage left out, so that a model which recomputes
        -- a lead when it changes (int_leads__resolved) compares 8 bytes a lead, not every column
        {{ hash_of_columns('final', [
            'lead_id', 'owner_id', 'campaign_id', 'converted_opportunity_id', 'converted_account_id',
            'full_name', 'email', 'phone', 'company', 'title', 'industry', 'employees', 'annual_revenue',
            'country', 'region', 'city', 'lead_source', 'status', 'disqualify_reason', 'is_converted',
            'is_deleted', 'created_at', 'converted_at', '_source_system']) }} as content_hash
    from final

)

select * from with_hashes
