with source as (
    {{ latest_extract(source('raw', 'hr_establishment')) }}
),

renamed as (
    select
        trim(post_id) as post_id,
        upper(trim(team_code)) as team_code,
        org_role,
        career_grade,
        budgeted_fte,
        effective_from,
        effective_to,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
