{#- One row per export of the contract: whether an extract that can serve the reporting month
    (dated inside its window) was loaded. Indicators that need a missing optional export publish
    as 'x'. -#}
{%- set exports = contract_exports() %}
with contract_exports as (
    select unnest([{% for e in exports %}'{{ e }}'{{ ', ' if not loop.last }}{% endfor %}]) as export_name
),

manifest as (
    select * from {{ source('raw', 'load_manifest') }}
),

final as (
    select
        contract_exports.export_name,
        max(manifest.extract_date) as latest_extract_date,
        count(manifest.source_file) > 0 as is_available
    from contract_exports
    left join manifest
        on
            contract_exports.export_name = manifest.export_name
            and manifest.extract_date between {{ extract_window_start() }} and {{ extract_window_end() }}
    group by contract_exports.export_name
)

select * from final
