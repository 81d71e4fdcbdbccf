-- One row per owner (CRM user) id: every user of crm_users, plus ids that leads, opportunities or
-- activities reference but the user export lacks (many CRM exports have no user file), so owner
-- dimensions never lose rows. Name and email are PII.

with

users as (

    select * from {{ ref('stg_crm__users') }}

),

referenced as (

    select owner_id from {{ ref('stg_crm__leads') }} where owner_id is not null
    union
    select owner_id from {{ ref('stg_crm__opportunities') }} where owner_id is not null
    union
    select owner_id from {{ ref('stg_crm__activities') }} where owner_id is not null

),

final as (

    select
        user_id as owner_id,
        full_name,
        email,
        team,
        manager_id,
        region,
        is_active,
        true as is_in_user_export
    from users

    union all

    select
        referenced.owner_id,
        cast(null as {{ dbt.type_string() }}) as full_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as boolean) as is_active,
        false as is_in_user_export
    from referenced
    where not exists (select 1 from users where users.user_id = referenced.owner_id)

)

select * from final
