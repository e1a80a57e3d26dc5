with source as (
    {{ latest_extract(source('raw', 'ssd_department')) }}
),

renamed as (
    select
        dept_team_id as cms_team_id,
        dept_team_name as cms_team_name,
        dept_team_parent_id as cms_parent_team_id,
        dept_team_parent_name as cms_parent_team_name,
        _source_file as source_file,
        _extract_date as extract_date
    from source
)

select * from renamed
