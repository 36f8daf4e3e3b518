DROP TABLE guidance_counts;
ALTER TABLE cases DROP COLUMN claim_acknowledged;
ALTER TABLE cases DROP COLUMN claim_status;
