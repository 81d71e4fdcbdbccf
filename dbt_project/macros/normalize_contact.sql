{#
    normalize_email(col): trimmed, lowercased, "mailto:", spaces and angle brackets removed;
    anything that is not shaped like local@domain.tld becomes null (so junk never matches).
    Dots and +tags are kept: they are part of the address for most providers.
#}
{% macro normalize_email(col) -%}
    {%- set cleaned = funnel_warehouse.regex_replace_all("lower(trim(" ~ col ~ "))", '^mailto:|[<> ]', '') -%}
    case
        when {{ funnel_warehouse.regex_matches(cleaned, '^[^@]+@[^@]+[.][^@.]+$') }} then {{ cleaned }}
    end
{%- endmacro %}


{#
    normalize_phone(col, country=none): E.164 where the number says enough, else best effort.

      * an extension (ext / x / # / 分机 …) is dropped, then every non-digit;
      * fewer than 7 or more than 15 digits -> null (not a phone number);
      * written with + or 00 -> '+' || digits (the caller gave the country code);
      * 10 digits not starting with 0/1 and country US/CA/unknown -> +1 (NANP);
      * 11 digits starting with 1 and country US/CA -> +1 (NANP with trunk 1);
      * 11 digits 1[3-9]… (Chinese mobile) -> +86;  86 1[3-9]… (13 digits) -> +86…;
      * country China and a 0-prefixed landline -> +86 without the trunk 0;
      * anything else -> the bare digits (no +: the country is unknown, not E.164).
    `country` is an optional column/expression (free text like 'USA', 'US', 'China', '中国').
#}
{% macro normalize_phone(col, country=none) -%}
    {%- set no_ext = funnel_warehouse.regex_replace_all("lower(trim(" ~ col ~ "))", '(ext|x|#|分机|轉|转).*$', '') -%}
    {%- set digits = funnel_warehouse.regex_replace_all(no_ext, '[^0-9]', '') -%}
    {{ return(adapter.dispatch('normalize_phone', 'funnel_warehouse')(col, country, digits)) }}
{%- endmacro %}

{% macro default__normalize_phone(col, country, digits) -%}
    {{ funnel_warehouse.phone_from_digits(col, country, digits) }}
{%- endmacro %}

{#- DuckDB: the digits are computed once per row, bound to a lambda parameter. Spelled out, every
    branch of the case below computes them again (two regexes each time): at 1M leads that was
    4.7 s of the lead model's 6.9 s. Same case, same result (tests/engines compares the engines). -#}
{% macro duckdb__normalize_phone(col, country, digits) -%}
    list_transform([{{ digits }}], lambda fw_phone_digits: {{ funnel_warehouse.phone_from_digits(col, country, 'fw_phone_digits') }})[1]
{%- endmacro %}

{#- The E.164 rules above, over `digits` (an expression or a bound name holding the digits). -#}
{% macro phone_from_digits(col, country, digits) -%}
    {%- set n = dbt.length(digits) -%}
    {%- if country is none -%}
        {%- set is_nanp = 'false' -%}
        {%- set nanp_or_unknown = 'true' -%}
        {%- set is_cn = 'false' -%}
    {%- else -%}
        {%- set c = "lower(trim(" ~ country ~ "))" -%}
        {%- set is_nanp = "coalesce(" ~ c ~ " in ('us', 'usa', 'united states', 'united states of america', 'ca', 'can', 'canada'), false)" -%}
        {%- set nanp_or_unknown = "(" ~ is_nanp ~ " or nullif(" ~ c ~ ", '') is null)" -%}
        {%- set is_cn = "coalesce(" ~ c ~ " in ('cn', 'chn', 'china', 'prc', '中国', '中国大陆'), false)" -%}
    {%- endif -%}
    case
        when {{ col }} is null then null
        when {{ n }} < 7 or {{ n }} > 15 then null
        when trim({{ col }}) like '+%' then '+' || {{ digits }}
        when {{ digits }} like '00%' then '+' || substr({{ digits }}, 3)
        when {{ n }} = 10 and substr({{ digits }}, 1, 1) not in ('0', '1') and {{ nanp_or_unknown }} then '+1' || {{ digits }}
        when {{ n }} = 11 and {{ digits }} like '1%' and {{ is_nanp }} then '+' || {{ digits }}
        when {{ n }} = 11 and {{ digits }} like '1%' and substr({{ digits }}, 2, 1) in ('3', '4', '5', '6', '7', '8', '9') then '+86' || {{ digits }}
        when {{ n }} = 13 and {{ digits }} like '861%' then '+' || {{ digits }}
        when {{ is_cn }} and {{ digits }} like '0%' and {{ n }} in (10, 11, 12) then '+86' || substr({{ digits }}, 2)
        else {{ digits }}
    end
{%- endmacro %}


{#
    lead_match_key(email, company): what makes two leads the same person at the same company
    (int_leads__merged): the normalized e-mail and the company, case-insensitive, a blank company
    matching a blank one; null without an e-mail (such a lead is never merged).
    lead_match_key_hash(email, company): its hash (null without an e-mail), stored by
    base_crm__leads when the lead is cleaned, so that the nightly duplicate pass over every lead
    groups an 8-byte value instead of building this string for each lead several times (at 10M
    leads about 1.2 s a pass). Equal keys have equal hashes; two keys that share a hash are told
    apart by the key itself where leads are merged.
#}
{% macro lead_match_key(email, company) -%}
    case
        when {{ email }} is not null then {{ dbt.concat([email, "'|'", "coalesce(lower(trim(" ~ company ~ ")), '')"]) }}
    end
{%- endmacro %}

{% macro lead_match_key_hash(email, company) -%}
    {%- set match_key = funnel_warehouse.lead_match_key(email, company) -%}
    case when {{ email }} is not null then {{ adapter.dispatch('text_hash', 'funnel_warehouse')(match_key) }} end
{%- endmacro %}

{#- a 64-bit hash of a text value (never null for a non-null value, on every engine) -#}
{% macro default__text_hash(expr) -%}
    hash({{ expr }})
{%- endmacro %}

{% macro postgres__text_hash(expr) -%}
    hashtextextended({{ expr }}, 0)
{%- endmacro %}

{% macro spark__text_hash(expr) -%}
    xxhash64({{ expr }})
{%- endmacro %}
