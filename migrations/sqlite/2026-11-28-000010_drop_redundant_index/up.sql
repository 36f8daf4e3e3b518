-- `cases_by_wechat_year (wechat_id, quota_year)` answers every lookup by WeChat ID that
-- this index did; one index fewer to keep up at each filing.
DROP INDEX IF EXISTS cases_wechat_id;
