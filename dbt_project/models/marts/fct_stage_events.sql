-- One row per entity x stage entry (submissions, leads, opportunities, accounts), including the
-- stages an entity skipped and `lost` entries: the entries of int_stage_events__sequenced (how they
-- are ordered, skipped stages filled and exits found is documented there) with the days spent in
-- each stage, counted up to now (var as_of) for current stages.

with

sequenced as (

    select * from {{ ref('int_stage_events__sequenced') }}

),

final as (

    select
        sequenced.*,

        -- measures
        {{ days_between('entered_at', 'coalesce(exited_at, ' ~ as_of() ~ ')') }} as days_in_stage

    from sequenced

)

select * from final
