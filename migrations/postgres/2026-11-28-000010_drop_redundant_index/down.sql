CREATE INDEX cases_wechat_id ON cases (wechat_id);
