{#
    hash_pii(col): keyed hash of a personal value, the only form in which emails, phones and person
    names may appear in `marts`.

        hash_pii(x) = lower-hex sha256( key || lower(trim(x)) )      -- null/blank x -> null

    key = var('pii_hash_key') (env FUNNEL_PII_KEY). Pass values through normalize_email /
    normalize_phone first so the same person hashes the same way in every source. The same value
    can be computed outside dbt: hashlib.sha256((key + value.strip().lower()).encode()).hexdigest().
#}
{% macro hash_pii(col) -%}
    case
        when nullif(trim({{ col }}), '') is null then null
        else {{ funnel_warehouse.sha256_hex(dbt.concat(["'" ~ (var('pii_hash_key') | replace("'", "''")) ~ "'", "lower(trim(" ~ col ~ "))"])) }}
    end
{%- endmacro %}


{% macro sha256_hex(expr) -%}
    {{ return(adapter.dispatch('sha256_hex', 'funnel_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro postgres__sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__sha256_hex(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}

{% macro trino__sha256_hex(expr) -%}
    lower(to_hex(sha256(to_utf8({{ expr }}))))
{%- endmacro %}
