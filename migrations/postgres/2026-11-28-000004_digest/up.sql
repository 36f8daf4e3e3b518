-- One supervisors' digest per working day, whichever instance gets there first.
CREATE TABLE digest_runs (
    day DATE PRIMARY KEY NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
