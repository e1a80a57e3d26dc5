with source as (
    {{ latest_extract(source('raw', 'payroll_lines')) }}
),

renamed as (
    select
        employee_key,
        pay_period,
        last_day(cast(pay_period || '-01' as date)) as pay_period_end_date,
        pay_element as pay_element_code,
        amount_gbp,
        hours,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
