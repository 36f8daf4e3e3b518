DROP TRIGGER open_counts_on_delete;
DROP TRIGGER open_counts_on_update;
DROP TRIGGER open_counts_on_insert;
DROP TABLE open_counts;
