with source as (
    {{ latest_extract(source('raw', 'hr_exit_interviews')) }}
),

renamed as (
    select
        employee_key,
        leaving_date,
        interview_date,
        primary_reason as primary_reason_code,
        upper(other_reasons) as other_reason_codes,
        would_return = 'Y' as would_return,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
