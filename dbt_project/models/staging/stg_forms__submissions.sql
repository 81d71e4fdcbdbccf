-- One row per web-form submission (latest delivery), contact data normalized, UTM codes
-- lowercased. Email, phone and name are PII (hashed in marts).
-- Incremental: a night reads only the rows of new loads (macros/incremental.sql).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='submission_id',
    )
}}


with

source as (

    {{ latest_new_delivery(source('raw', 'form_submissions'), 'trim(submission_id)') }}

),

final as (

    select
        -- ids
        {{ clean_id('submission_id') }} as submission_id,
        {{ clean_string('click_id') }} as click_id,

        -- person (PII)
        {{ clean_string('name') }} as full_name,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone,
        {{ clean_string('company') }} as company,

        -- form and visit
        {{ clean_string('form_name') }} as form_name,
        {{ clean_code('utm_source') }} as utm_source,
        {{ clean_code('utm_medium') }} as utm_medium,
        {{ clean_string('utm_campaign') }} as utm_campaign,
        {{ clean_string('utm_content') }} as utm_content,
        {{ clean_string('utm_term') }} as utm_term,
        {{ clean_string('landing_page') }} as landing_page,
        {{ clean_string('referrer') }} as referrer,
        {{ clean_string('answers') }} as answers,

        -- timestamps
        submitted_at,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from source

)

select * from final
