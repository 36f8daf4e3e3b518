-- The dashboard's counters, kept in the transaction of the change they count, so the
-- page reads a bounded number of rows however many cases pile up. A row counts the
-- cases of one kind that entered one status on one day (China date): `submitted` is a
-- filing, `approved`/`rejected` a decision; `within_target`/`within_deadline` count those
-- that entered on or before the case's review target/deadline. Concurrent writers spread
-- over `shard` (case id % 8, mirrored in db::counters) instead of queueing on one row.
CREATE TABLE daily_counts (
    status TEXT NOT NULL CHECK (status IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided')),
    day DATE NOT NULL,
    packet_kind TEXT NOT NULL CHECK (packet_kind IN ('red_packet', 'lucky_red_packet', 'transfer')),
    shard INTEGER NOT NULL,
    entered INTEGER NOT NULL,
    within_target INTEGER NOT NULL,
    within_deadline INTEGER NOT NULL,
    PRIMARY KEY (status, day, packet_kind, shard)
);

-- Backfill, once: filings from the cases, every later status change from the timeline
-- (a reassignment keeps the status and is no change).
INSERT INTO daily_counts (status, day, packet_kind, shard, entered, within_target, within_deadline)
SELECT 'submitted', filed_on, packet_kind, id % 8, COUNT(*),
       SUM(CASE WHEN filed_on <= review_target THEN 1 ELSE 0 END),
       SUM(CASE WHEN filed_on <= review_deadline THEN 1 ELSE 0 END)
FROM cases
GROUP BY filed_on, packet_kind, id % 8;

INSERT INTO daily_counts (status, day, packet_kind, shard, entered, within_target, within_deadline)
SELECT e.to_status, CAST(e.at + INTERVAL '8 hours' AS DATE), c.packet_kind, c.id % 8, COUNT(*),
       SUM(CASE WHEN CAST(e.at + INTERVAL '8 hours' AS DATE) <= c.review_target THEN 1 ELSE 0 END),
       SUM(CASE WHEN CAST(e.at + INTERVAL '8 hours' AS DATE) <= c.review_deadline THEN 1 ELSE 0 END)
FROM case_events e JOIN cases c ON c.id = e.case_id
WHERE e.from_status IS NOT NULL AND e.to_status IS NOT NULL AND e.from_status <> e.to_status
GROUP BY e.to_status, CAST(e.at + INTERVAL '8 hours' AS DATE), c.packet_kind, c.id % 8;
