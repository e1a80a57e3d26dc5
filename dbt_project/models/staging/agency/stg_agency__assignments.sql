with source as (
    {{ latest_extract(source('raw', 'agency_assignments')) }}
),

renamed as (
    select
        assignment_id,
        person_key,
        agency_name,
        upper(trim(team_code)) as team_code,
        nullif(trim(post_id), '') as post_id,
        org_role,
        fte,
        start_date,
        end_date,
        covering_vacancy = 'Y' as is_covering_vacancy,
        hourly_charge_gbp,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
