-- One row per funnel stage (seed funnel_stages) with the roles the models derive from the seed,
-- so no model names a stage: which stage a lead enters at creation, which one a converted lead has
-- reached, where an opportunity starts, the next ordered stage, and the cohort-funnel stages.

with

stages as (

    select * from {{ ref('funnel_stages') }}

),

entity_bounds as (

    select
        entity_type,
        min(stage_order) as entity_first_stage_order,
        max(stage_order) as entity_last_stage_order
    from stages
    where stage_order is not null
    group by entity_type

),

lead_bounds as (

    select
        entity_first_stage_order as lead_entry_stage_order,
        entity_last_stage_order as lead_final_stage_order
    from entity_bounds
    where entity_type = 'lead'

),

ordered as (

    select
        stage_key,
        lead(stage_key) over (order by stage_order) as next_stage_key,
        lead(stage_order) over (order by stage_order) as next_stage_order
    from stages
    where stage_order is not null

),

final as (

    select
        stages.stage_order,
        stages.stage_key,
        stages.label_en,
        stages.label_zh,
        stages.entity_type,
        stages.is_won,
        stages.is_lost,
        stages.stage_order is not null as is_ordered,
        ordered.next_stage_key,
        ordered.next_stage_order,
        entity_bounds.entity_first_stage_order,
        coalesce(stages.stage_order = lead_bounds.lead_entry_stage_order, false) as is_lead_entry_stage,
        coalesce(stages.stage_order = lead_bounds.lead_final_stage_order, false) as is_lead_final_stage,
        coalesce(
            stages.entity_type = 'opportunity'
            and stages.stage_order = entity_bounds.entity_first_stage_order,
            false
        ) as is_opportunity_entry_stage,
        coalesce(stages.stage_order >= lead_bounds.lead_entry_stage_order, false) as is_cohort_stage
    from stages
    cross join lead_bounds
    left join ordered
        on stages.stage_key = ordered.stage_key
    left join entity_bounds
        on stages.entity_type = entity_bounds.entity_type

)

select * from final
