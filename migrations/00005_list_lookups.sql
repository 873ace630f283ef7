-- +goose Up
-- The agents a case can be assigned to are listed on every case page an
-- agent opens; without this index that is a scan of every user.
CREATE INDEX users_assignable_idx ON users (name, id) WHERE role IN ('agent', 'admin') AND status = 'active';

-- Every "My cases" page looks up the viewer's address in the CC lists. With
-- GIN's pending list (fastupdate) that lookup reads every entry not yet
-- merged, which made it ten times slower after a day of new cases; cases
-- are filed far less often than lists are read.
ALTER INDEX cases_cc_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('cases_cc_idx');

-- +goose Down
ALTER INDEX cases_cc_idx RESET (fastupdate);
DROP INDEX users_assignable_idx;
