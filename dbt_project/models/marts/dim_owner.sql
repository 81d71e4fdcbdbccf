-- One row per owner (sales rep) id: users of the CRM export plus owner ids facts reference without
-- a user record. The rep's name and email are hashed (no raw PII in marts).

with

owners as (

    select * from {{ ref('int_owners') }}

),

final as (

    select
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast({{ hash_pii('full_name') }} as {{ dbt.type_string() }}) as owner_name_hash,
        cast({{ hash_pii('email') }} as {{ dbt.type_string() }}) as owner_email_hash,
        cast(coalesce(team, 'unknown') as {{ dbt.type_string() }}) as team,
        cast(manager_id as {{ dbt.type_string() }}) as manager_id,
        cast(region as {{ dbt.type_string() }}) as region,
        is_active,
        is_in_user_export
    from owners

)

select * from final
