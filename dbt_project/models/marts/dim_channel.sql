-- One row per marketing channel (seed channels), bilingual.

with

channels as (

    select * from {{ ref('channels') }}

),

final as (

    select
        cast(channel_key as {{ dbt.type_string() }}) as channel_key,
        cast(label_en as {{ dbt.type_string() }}) as channel_label_en,
        cast(label_zh as {{ dbt.type_string() }}) as channel_label_zh,
        is_paid
    from channels

)

select * from final
