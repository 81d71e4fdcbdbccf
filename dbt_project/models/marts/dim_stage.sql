-- One row per funnel stage (seed funnel_stages), bilingual labels and the stage roles.

with

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

final as (

    select
        cast(stage_key as {{ dbt.type_string() }}) as stage_key,
        cast(stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(label_en as {{ dbt.type_string() }}) as stage_label_en,
        cast(label_zh as {{ dbt.type_string() }}) as stage_label_zh,
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        is_won,
        is_lost,
        is_ordered,
        is_cohort_stage,
        cast(next_stage_key as {{ dbt.type_string() }}) as next_stage_key
    from stages

)

select * from final
