with source as (
    {{ latest_extract(source('raw', 'hr_teams')) }}
),

renamed as (
    select
        upper(trim(team_code)) as team_code,
        team_name,
        trim(service_area) as service_area,
        locality,
        _source_file as source_file,
        _extract_date as extract_date
    from source
)

select * from renamed
