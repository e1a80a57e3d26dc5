{#- One row per export of the contract: whether an extract that can serve the reporting month
    (dated inside its window; in a backcast month, else the earliest dated after it: macro
    serving_extract_date) was loaded. Indicators that need a missing optional export publish
    as 'x'. -#}
{%- set exports = contract_exports() %}
with contract_exports as (
    select unnest([{% for e in exports %}'{{ e }}'{{ ', ' if not loop.last }}{% endfor %}]) as export_name
),

manifest as (
    select * from {{ source('raw', 'load_manifest') }}
),

serving as (
    select
        contract_exports.export_name,
        {{ serving_extract_date(
            'manifest', 'manifest.extract_date', 'manifest.export_name = contract_exports.export_name'
        ) }} as latest_extract_date
    from contract_exports
),

final as (
    select
        export_name,
        latest_extract_date,
        latest_extract_date is not null as is_available
    from serving
)

select * from final
