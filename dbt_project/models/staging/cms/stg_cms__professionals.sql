with source as (
    {{ latest_extract(source('raw', 'ssd_professionals')) }}
),

renamed as (
    select
        prof_professional_key as professional_key,
        prof_staff_key as employee_key,
        prof_person_key as person_key,
        prof_professional_job_title as job_title,
        prof_professional_caseload as recorded_caseload,
        prof_professional_department as department,
        prof_full_time_equivalency as recorded_fte,
        prof_agency_worker_flag = 'Y' as is_agency_worker,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
