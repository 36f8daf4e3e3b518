DROP TRIGGER open_counts_on_delete ON cases;
DROP TRIGGER open_counts_on_update ON cases;
DROP TRIGGER open_counts_on_insert ON cases;
DROP FUNCTION open_counts_follow();
DROP TABLE open_counts;
