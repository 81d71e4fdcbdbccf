-- One row per entity x stage entry (submissions, leads, opportunities, accounts), including the
-- stages an entity skipped and `lost` entries: the entries of int_stage_events__sequenced (how they
-- are ordered, skipped stages filled and exits found is documented there) with the days spent in
-- each stage, counted up to now (var as_of) for current stages.
--
-- On DuckDB a view, not a table. days_in_stage reads the clock, so the mart changes every night,
-- and as a table its 30M rows (at 10M leads) were written twice a night: here (21-23 s) and again
-- into the published funnel.duckdb, where BI tools read it as a table. Nothing reads the private
-- warehouse's copy but the publish step and two marts; "now" is a literal (macros/dates.sql), so
-- the view's rows are the same whenever they are read. Other engines, whose warehouse BI tools may
-- read directly, keep a table.

{{ config(materialized=('view' if target.type == 'duckdb' else 'table')) }}

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
