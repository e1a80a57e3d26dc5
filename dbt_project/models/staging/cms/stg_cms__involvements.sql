with source as (
    {{ latest_extract(source('raw', 'ssd_involvements')) }}
),

renamed as (
    select
        invo_involvements_id as involvement_id,
        invo_professional_key as professional_key,
        upper(trim(invo_professional_role_id)) as professional_role,
        invo_professional_team as cms_team_id,
        invo_involvement_start_date as involvement_start_date,
        invo_involvement_end_date as involvement_end_date,
        invo_worker_change_reason as worker_change_reason_code,
        invo_child_key as child_key,
        invo_referral_id as referral_id,
        _source_file as source_file,
        _extract_date as extract_date,
        _row_number as source_row_number
    from source
)

select * from renamed
