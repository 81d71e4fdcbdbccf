-- Warns (never fails the build) for every raw status/stage value without a row in seed
-- stage_mapping: add a row (source_system, entity_type, raw_value, stage_key) to map it.
{{ config(severity='warn') }}

select * from {{ ref('int_unmapped_stage_values') }}
