-- One row per load (delivered file × target table) of raw._load_manifest, typed and renamed.
-- target_table is the bare table name (some loads record it as raw.<table>).

with

source as (

    select * from {{ source('ingest', '_load_manifest') }}

),

final as (

    select
        -- ids
        trim(load_id) as load_id,
        {{ clean_id('replaced_load_id') }} as replaced_load_id,

        -- file
        {{ clean_string('source_file') }} as source_file,
        {{ clean_string('file_name') }} as file_name,
        cast(file_bytes as {{ dbt.type_bigint() }}) as file_byte_count,

        -- dimensions
        {{ clean_code('source_system') }} as source_system,
        {{ clean_string('adapter') }} as adapter_name,
        case
            when lower(trim(target_table)) like 'raw.%' then substr(lower(trim(target_table)), 5)
            else {{ clean_code('target_table') }}
        end as target_table,
        {{ clean_code('status') }} as load_status,

        -- measures
        cast(rows_read as {{ dbt.type_bigint() }}) as read_row_count,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as loaded_row_count,
        cast(rows_quarantined as {{ dbt.type_bigint() }}) as quarantined_row_count,

        -- timestamps
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from source

)

select * from final
