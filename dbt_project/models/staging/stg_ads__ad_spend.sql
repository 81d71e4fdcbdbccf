-- One row per ad platform x campaign x ad group x day (or report period), latest delivery.
-- ad_spend_key is the canonical key (platform, campaign name, ad group, day/period); spend_date is the day (or the period's first day).
-- Incremental: a night reads only the rows of new loads (macros/incremental.sql).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='ad_spend_key',
    )
}}

with

source as (

    select * from {{ source('raw', 'ad_spend') }}
    {{ new_loads_only() }}

),

keyed as (

    select
        source.*,
        {{ dbt.concat([
            "lower(trim(platform))", "'|'",
            "trim(campaign_name)", "'|'",
            "coalesce(trim(ad_group), '')", "'|'",
            "coalesce(" ~ dbt.safe_cast("date", dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.safe_cast("period_start", dbt.type_string()) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.safe_cast("period_end", dbt.type_string()) ~ ", '')"
        ]) }} as ad_spend_key
    from source

),

deduplicated as (

    {{ latest_delivery('keyed', 'ad_spend_key') }}

),

final as (

    select
        -- ids
        ad_spend_key,
        {{ clean_code('platform') }} as platform,
        {{ clean_id('account_id') }} as ad_account_id,
        {{ clean_id('campaign_id') }} as campaign_id,

        -- dimensions
        {{ clean_string('campaign_name') }} as campaign_name,
        {{ clean_string('ad_group') }} as ad_group,

        -- measures
        coalesce(impressions, 0) as impressions,
        coalesce(clicks, 0) as clicks,
        coalesce(spend, 0) as spend,
        upper({{ clean_string('currency') }}) as currency,
        platform_conversions,

        -- dates
        coalesce(date, period_start) as spend_date,
        coalesce(period_start, date) as period_start,
        coalesce(period_end, date) as period_end,
        date is not null as is_daily,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from deduplicated

)

select * from final
