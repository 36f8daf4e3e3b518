-- What the appellant says of the payment when filing; NULL: filed before the question.
ALTER TABLE cases ADD COLUMN claim_status TEXT
    CHECK (claim_status IN ('unclaimed', 'claimed', 'returned', 'unknown'));
ALTER TABLE cases ADD COLUMN claim_acknowledged BOOLEAN NOT NULL DEFAULT FALSE;

-- Form submissions that were shown guidance, per China-local day and reason: stopped by it
-- (nothing filed) or filed after it. Counts only: nobody is identified.
CREATE TABLE guidance_counts (
    day DATE NOT NULL,
    reason TEXT NOT NULL
        CHECK (reason IN ('bank-window', 'auto-return', 'delayed-arrival', 'claimed', 'already-returned')),
    filed BOOLEAN NOT NULL,
    submissions INTEGER NOT NULL,
    PRIMARY KEY (day, reason, filed)
);
