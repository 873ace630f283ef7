-- +goose Up
-- Response targets: the clock behind cases.response_due. While the case
-- waits on the customer the clock is paused and sla_remaining holds the
-- seconds of the target still left (business or clock seconds, by the
-- target's kind); response_due is then NULL. response_warned_at marks that
-- the warning for the current target was sent; a new target clears it.
ALTER TABLE cases
	ADD COLUMN sla_remaining integer,
	ADD COLUMN response_warned_at timestamptz;

-- The warning job: running targets not yet warned about, soonest first.
-- Closed and paused cases have no response_due, so they are not in it.
CREATE INDEX cases_response_warn ON cases (response_due, id)
	WHERE response_due IS NOT NULL AND response_warned_at IS NULL;

-- +goose Down
DROP INDEX cases_response_warn;
ALTER TABLE cases DROP COLUMN response_warned_at, DROP COLUMN sla_remaining;
