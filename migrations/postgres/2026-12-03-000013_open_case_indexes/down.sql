DROP INDEX cases_open_unassigned;
DROP INDEX cases_open_by_assignee;
DROP INDEX cases_open_by_status;
