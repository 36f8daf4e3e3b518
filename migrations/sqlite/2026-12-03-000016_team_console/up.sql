-- Texts supervisors keep for agents to start from, in both languages; where each applies.
CREATE TABLE saved_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    applies_to TEXT NOT NULL CHECK (applies_to IN ('evidence_request', 'decision_reason', 'note')),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Each agent's own choices (/agent/me); no row: Chinese, every notification.
CREATE TABLE agent_preferences (
    agent_id BIGINT PRIMARY KEY NOT NULL REFERENCES agents (id),
    lang TEXT NOT NULL CHECK (lang IN ('zh-CN', 'en')),
    notify_replied BOOLEAN NOT NULL,
    notify_withdrawn BOOLEAN NOT NULL,
    notify_assigned BOOLEAN NOT NULL,
    notify_morning BOOLEAN NOT NULL,
    -- The China-local day the morning list was last mailed: once a day, whatever the instances.
    morning_sent_on DATE
);
