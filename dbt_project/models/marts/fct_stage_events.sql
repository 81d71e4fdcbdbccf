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
        -- every column of the entries but their lineage digest (_partition_digest)
        sequenced.stage_event_id,
        sequenced.entity_type,
        sequenced.entity_id,
        sequenced.lead_id,
        sequenced.stage_key,
        sequenced.stage_order,
        sequenced.event_sequence,
        sequenced.entry_number,
        sequenced.event_source,
        sequenced.is_skipped_stage,
        sequenced.is_current_stage,
        sequenced.entered_at,
        sequenced.exited_at,
        sequenced.entered_date,
        sequenced.entered_month,

        -- measures
        {{ days_between('entered_at', 'coalesce(exited_at, ' ~ as_of() ~ ')') }} as days_in_stage

    from sequenced

)

select * from final
