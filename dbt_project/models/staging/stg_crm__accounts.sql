-- One row per account (latest delivery), deleted accounts removed.

with

source as (

    {{ latest_delivery(source('raw', 'crm_accounts'), 'trim(account_id)') }}

),

final as (

    select
        -- ids
        {{ clean_id('account_id') }} as account_id,

        -- dimensions
        {{ clean_string('name') }} as account_name,
        {{ clean_string('industry') }} as industry,
        employees,
        annual_revenue,
        {{ clean_string('country') }} as country,
        {{ clean_string('region') }} as region,
        {{ clean_string('segment') }} as segment,

        -- timestamps
        created_at,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from source
    where not coalesce(is_deleted, false)

)

select * from final
