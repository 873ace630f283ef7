-- +goose Up
-- The agent queue (GET /agent/queue): open cases only, filtered by at most
-- one value each of sub-status, priority, product, organization and assignee,
-- sorted by priority, age, last update or response due, always with the id
-- last so that the keyset never skips or repeats a row. Each sort has an
-- index of its own for the unfiltered queue and one per filter column that
-- leads with that column, so every filter (and every combination: the most
-- selective filter's index is walked and the others are checked on the way)
-- is a range scan that starts at the cursor and stops after one page, in
-- either direction. Partial on status = 'open': closed cases, most of the
-- table, never enter these indexes.
--
-- Two columns are indexed as expressions because the planner does not treat
-- "x IS NULL" as fixing x, and so would sort the rows after an IS NULL filter:
-- the assignee as coalesce(assigned_to, 0) (0 = unassigned), and the response
-- due as coalesce(response_due, 'infinity') (no clock running: last).
-- Priority filtered and sorted by priority is cases_queue_priority_idx.
CREATE INDEX cases_queue_priority_idx ON cases (priority, id) WHERE status = 'open';
CREATE INDEX cases_queue_created_idx ON cases (created_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_updated_idx ON cases (updated_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_due_idx ON cases (coalesce(response_due, 'infinity'), id) WHERE status = 'open';

CREATE INDEX cases_queue_sub_status_priority_idx ON cases (sub_status, priority, id) WHERE status = 'open';
CREATE INDEX cases_queue_sub_status_created_idx ON cases (sub_status, created_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_sub_status_updated_idx ON cases (sub_status, updated_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_sub_status_due_idx ON cases (sub_status, coalesce(response_due, 'infinity'), id) WHERE status = 'open';

CREATE INDEX cases_queue_priority_created_idx ON cases (priority, created_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_priority_updated_idx ON cases (priority, updated_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_priority_due_idx ON cases (priority, coalesce(response_due, 'infinity'), id) WHERE status = 'open';

CREATE INDEX cases_queue_product_priority_idx ON cases (product_id, priority, id) WHERE status = 'open';
CREATE INDEX cases_queue_product_created_idx ON cases (product_id, created_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_product_updated_idx ON cases (product_id, updated_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_product_due_idx ON cases (product_id, coalesce(response_due, 'infinity'), id) WHERE status = 'open';

CREATE INDEX cases_queue_account_priority_idx ON cases (account_id, priority, id) WHERE status = 'open';
CREATE INDEX cases_queue_account_created_idx ON cases (account_id, created_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_account_updated_idx ON cases (account_id, updated_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_account_due_idx ON cases (account_id, coalesce(response_due, 'infinity'), id) WHERE status = 'open';

CREATE INDEX cases_queue_assignee_priority_idx ON cases (coalesce(assigned_to, 0), priority, id) WHERE status = 'open';
CREATE INDEX cases_queue_assignee_created_idx ON cases (coalesce(assigned_to, 0), created_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_assignee_updated_idx ON cases (coalesce(assigned_to, 0), updated_at, id) WHERE status = 'open';
CREATE INDEX cases_queue_assignee_due_idx ON cases (coalesce(assigned_to, 0), coalesce(response_due, 'infinity'), id) WHERE status = 'open';

-- +goose Down
DROP INDEX cases_queue_priority_idx;
DROP INDEX cases_queue_created_idx;
DROP INDEX cases_queue_updated_idx;
DROP INDEX cases_queue_due_idx;
DROP INDEX cases_queue_sub_status_priority_idx;
DROP INDEX cases_queue_sub_status_created_idx;
DROP INDEX cases_queue_sub_status_updated_idx;
DROP INDEX cases_queue_sub_status_due_idx;
DROP INDEX cases_queue_priority_created_idx;
DROP INDEX cases_queue_priority_updated_idx;
DROP INDEX cases_queue_priority_due_idx;
DROP INDEX cases_queue_product_priority_idx;
DROP INDEX cases_queue_product_created_idx;
DROP INDEX cases_queue_product_updated_idx;
DROP INDEX cases_queue_product_due_idx;
DROP INDEX cases_queue_account_priority_idx;
DROP INDEX cases_queue_account_created_idx;
DROP INDEX cases_queue_account_updated_idx;
DROP INDEX cases_queue_account_due_idx;
DROP INDEX cases_queue_assignee_priority_idx;
DROP INDEX cases_queue_assignee_created_idx;
DROP INDEX cases_queue_assignee_updated_idx;
DROP INDEX cases_queue_assignee_due_idx;
