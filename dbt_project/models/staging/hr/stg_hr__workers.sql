with source as (
    {{ latest_extract(source('raw', 'hr_workers')) }}
),

renamed as (
    select
        spell_id,
        employee_key,
        person_key,
        age_band,
        gender as gender_code,
        ethnicity as ethnicity_code,
        nullif(trim(post_id), '') as post_id,
        upper(trim(team_code)) as team_code,
        job_title,
        org_role,
        career_grade,
        contract_type,
        fte,
        spell_start_date,
        spell_end_date,
        la_service_start_date,
        leaving_date,
        leaving_reason,
        leaver_destination,
        start_origin,
        kss_status,
        is_overseas_recruit = 'Y' as is_overseas_recruit,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
