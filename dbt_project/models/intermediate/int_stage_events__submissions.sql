-- One row per form submission: its entry into the inquiry stage (the funnel stage carried by
-- entity type `submission`) at submitted_at, with the canonical lead it was matched to.
-- A view: a projection of int_submissions__matched_to_leads that only int_stage_events__unioned
-- reads, once per build. Stored, it wrote 9.5M rows at 10M leads every night that brought a form
-- submission (3.8 s of a one-day delta night, plus 1.0 s for its uniqueness test;
-- docs/benchmarks.md).

{{ config(materialized='view') }}

with

submissions as (

    select * from {{ ref('int_submissions__matched_to_leads') }}

),

inquiry_stage as (

    select stage_key from {{ ref('int_funnel_stages') }} where entity_type = 'submission' and is_ordered

),

final as (

    select
        'submission' as entity_type,
        submissions.submission_id as entity_id,
        submissions.lead_id,
        inquiry_stage.stage_key,
        submissions.submitted_at as entered_at,
        'form_submission' as event_source,
        0 as source_sequence
    from submissions
    cross join inquiry_stage

)

select * from final
