-- One row per form submission: its entry into the inquiry stage (the funnel stage carried by
-- entity type `submission`) at submitted_at, with the canonical lead it was matched to.

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
