-- One row per month × stage × loss reason: of the leads and opportunities that first entered the
-- stage in the month, how many are lost at that stage (their current outcome is lost and the stage
-- was their last before it), and the recorded reasons (opportunity loss_reason, lead
-- disqualify_reason) with count, share of the stage's losses, rank and category (seed
-- loss_reason_categories). A loss without a reason is `unspecified`, never dropped.

with

events as {{ inlined_cte() }} (

    -- the entries of fct_stage_events without its days_in_stage (counted up to now, so that mart
    -- changes every night): read from here, this mart is kept on a night without new data. Read
    -- three times rather than stored: storing its 21M rows (at 10M leads) cost more than the scans
    select * from {{ ref('int_stage_events__sequenced') }} where entity_type in ('lead', 'opportunity')

),

stages as (

    select * from {{ ref('dim_stage') }}

),

leads as (

    select lead_id, disqualify_reason from {{ ref('int_leads__resolved') }}

),

opportunities as (

    select opportunity_id, loss_reason from {{ ref('int_opportunities__linked') }}

),

reason_categories as (

    select lower(trim(raw_reason)) as reason_lookup, category from {{ ref('loss_reason_categories') }}

),

categories as (

    select * from {{ ref('loss_categories') }}

),

first_entries as (

    -- each entity's first entry into each ordered stage (skipped stages count: they were reached)
    select events.entity_type, events.entity_id, events.stage_key, events.entered_month
    from events
    inner join stages
        on events.stage_key = stages.stage_key
    where stages.is_ordered
        and events.entry_number = 1

),

entered as (

    select entered_month as period_month, stage_key, count(*) as entered_count
    from first_entries
    group by entered_month, stage_key

),

lost_entries as (

    -- entities whose current stage is the lost state
    select events.entity_type, events.entity_id, events.event_sequence
    from events
    inner join stages
        on events.stage_key = stages.stage_key
    where stages.is_lost
        and events.is_current_stage

),

lost_at as (

    -- the stage each lost entity was in before it was lost: its latest ordered entry before
    select entity_type, entity_id, stage_key
    from (
        select
            events.entity_type,
            events.entity_id,
            events.stage_key,
            row_number() over (
                partition by events.entity_type, events.entity_id order by events.event_sequence desc
            ) as recency_rank
        from events
        inner join lost_entries
            on events.entity_type = lost_entries.entity_type
            and events.entity_id = lost_entries.entity_id
            and events.event_sequence < lost_entries.event_sequence
        inner join stages
            on events.stage_key = stages.stage_key
        where stages.is_ordered
    ) as ranked
    where recency_rank = 1

),

losses as (

    select
        first_entries.entered_month as period_month,
        lost_at.stage_key,
        lost_at.entity_type,
        lost_at.entity_id,
        {{ clean_string("case when lost_at.entity_type = 'lead' then leads.disqualify_reason else opportunities.loss_reason end") }}
            as raw_reason
    from lost_at
    inner join first_entries
        on lost_at.entity_type = first_entries.entity_type
        and lost_at.entity_id = first_entries.entity_id
        and lost_at.stage_key = first_entries.stage_key
    left join leads
        on lost_at.entity_type = 'lead'
        and lost_at.entity_id = leads.lead_id
    left join opportunities
        on lost_at.entity_type = 'opportunity'
        and lost_at.entity_id = opportunities.opportunity_id

),

reasons as (

    select
        period_month,
        stage_key,
        coalesce(lower(raw_reason), 'unspecified') as reason_lookup,
        coalesce(min(raw_reason), 'unspecified') as loss_reason,
        count(*) as reason_count
    from losses
    group by period_month, stage_key, coalesce(lower(raw_reason), 'unspecified')

),

ranked as (

    select
        reasons.*,
        sum(reason_count) over (partition by period_month, stage_key) as lost_count,
        row_number() over (
            partition by period_month, stage_key order by reason_count desc, loss_reason
        ) as reason_rank
    from reasons

),

final as (

    select
        -- grain
        cast(ranked.period_month as date) as period_month,
        cast(stages.stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(ranked.stage_key as {{ dbt.type_string() }}) as stage_key,
        cast(stages.stage_label_en as {{ dbt.type_string() }}) as stage_label_en,
        cast(stages.stage_label_zh as {{ dbt.type_string() }}) as stage_label_zh,
        cast(ranked.loss_reason as {{ dbt.type_string() }}) as loss_reason,

        -- category
        cast(
            case
                when ranked.reason_lookup = 'unspecified' then 'unspecified'
                else coalesce(reason_categories.category, 'other')
            end as {{ dbt.type_string() }}
        ) as loss_category,
        cast(categories.label_en as {{ dbt.type_string() }}) as loss_category_label_en,
        cast(categories.label_zh as {{ dbt.type_string() }}) as loss_category_label_zh,

        -- stage
        cast(coalesce(entered.entered_count, 0) as {{ dbt.type_bigint() }}) as entered_count,
        cast(ranked.lost_count as {{ dbt.type_bigint() }}) as lost_count,
        cast({{ safe_ratio('ranked.lost_count', 'entered.entered_count') }} as {{ type_double() }}) as loss_rate,

        -- reason
        cast(ranked.reason_count as {{ dbt.type_bigint() }}) as reason_count,
        cast({{ safe_ratio('ranked.reason_count', 'ranked.lost_count') }} as {{ type_double() }}) as reason_share,
        cast(ranked.reason_rank as {{ dbt.type_int() }}) as reason_rank,
        ranked.reason_rank <= 3 as is_top_3_reason
    from ranked
    inner join stages
        on ranked.stage_key = stages.stage_key
    left join entered
        on ranked.period_month = entered.period_month
        and ranked.stage_key = entered.stage_key
    left join reason_categories
        on ranked.reason_lookup = reason_categories.reason_lookup
    left join categories
        on case
            when ranked.reason_lookup = 'unspecified' then 'unspecified'
            else coalesce(reason_categories.category, 'other')
        end = categories.category

)

select * from final
