-- +goose Up

-- My cases (GET /cases). Every variant of the list is an index range scan
-- that starts at the keyset cursor and stops after one page:
--   by last update: cases_opened_by_idx / cases_account_idx (00002) for all
--     and closed cases, and these small partial indexes for open ones, the
--     default view, so an organization with many closed cases and few open
--     ones does not walk past the closed ones;
--   by number and by priority: the indexes below, which lead with status
--     (the list reads "all" as an open range and a closed range).
CREATE INDEX cases_opened_by_open_idx ON cases (opened_by, updated_at DESC, id DESC) WHERE status = 'open';
CREATE INDEX cases_account_open_idx ON cases (account_id, updated_at DESC, id DESC) WHERE status = 'open';
CREATE INDEX cases_opened_by_number_idx ON cases (opened_by, status, number);
CREATE INDEX cases_account_number_idx ON cases (account_id, status, number);
CREATE INDEX cases_opened_by_priority_idx ON cases (opened_by, status, priority, id);
CREATE INDEX cases_account_priority_idx ON cases (account_id, status, priority, id);
