with source as (
    {{ latest_extract(source('raw', 'hr_absences')) }}
),

renamed as (
    select
        absence_id,
        employee_key,
        absence_reason as absence_reason_code,
        start_date,
        end_date,
        working_days_lost,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
