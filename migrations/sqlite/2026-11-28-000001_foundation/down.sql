DROP TABLE app_secrets;
DROP TABLE calendar_years;
DROP TABLE calendar_days;
DROP TABLE case_events;
DROP TABLE quota_slots;
DROP TABLE cases;
