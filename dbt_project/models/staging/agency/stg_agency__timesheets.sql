with source as (
    {{ latest_extract(source('raw', 'agency_timesheets')) }}
),

renamed as (
    select
        assignment_id,
        week_ending,
        hours,
        charge_gbp,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
