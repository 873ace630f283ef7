-- +goose Up
-- When the next response to the customer is due (response targets): set
-- while the case waits on support, NULL while it waits on the customer or
-- is closed. The agent queue sorts and marks overdue cases by it.
ALTER TABLE cases ADD COLUMN response_due timestamptz;

-- +goose Down
ALTER TABLE cases DROP COLUMN response_due;
