-- One row per CRM user / sales rep (latest delivery). Name and email are PII (hashed in marts).

with

source as (

    {{ latest_delivery(source('raw', 'crm_users'), 'trim(user_id)') }}

),

final as (

    select
        -- ids
        {{ clean_id('user_id') }} as user_id,
        {{ clean_id('manager_id') }} as manager_id,

        -- person (PII)
        {{ clean_string('name') }} as full_name,
        {{ normalize_email('email') }} as email,

        -- dimensions
        {{ clean_string('team') }} as team,
        {{ clean_string('region') }} as region,
        coalesce(is_active, true) as is_active,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from source

)

select * from final
