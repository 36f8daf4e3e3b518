-- The console's counts over open cases read only open cases, however many closed ones
-- history holds: partial indexes whose condition is the queries' own.
CREATE INDEX cases_open_by_status ON cases (status) WHERE open_deadline IS NOT NULL;
CREATE INDEX cases_open_by_assignee ON cases (assignee_id) WHERE open_deadline IS NOT NULL;
CREATE INDEX cases_open_unassigned ON cases (open_deadline)
    WHERE open_deadline IS NOT NULL AND assignee_id IS NULL;
