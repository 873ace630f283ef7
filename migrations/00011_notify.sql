-- +goose Up
-- Every change to a case inserts case_events rows; announcing them is how
-- every `madoguchi serve` process learns that a page it streams to has
-- changed. NOTIFY is delivered at commit (and not at all on rollback), so a
-- listener never hears of a change it could not yet read. The payload names
-- the case and its newest event only: listeners fetch what they show through
-- the usual access checks.
--
-- One statement-level trigger, set-based: the portal inserts one event per
-- statement, while `seed bulk` COPYs thousands; a statement touching more
-- than 1,000 cases sends a single "bulk" notice instead of one per case.
-- A case's notice is internal only if every new event of it is.
-- +goose StatementBegin
CREATE FUNCTION case_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF (SELECT count(*) FROM (SELECT DISTINCT case_id FROM new_events LIMIT 1001) d) > 1000 THEN
        PERFORM pg_notify('madoguchi_case_events', '{"bulk":true}');
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT e.case_id, c.number, c.account_id, max(e.id) AS event_id, bool_and(e.internal) AS internal
        FROM new_events e JOIN cases c ON c.id = e.case_id
        GROUP BY e.case_id, c.number, c.account_id
    LOOP
        PERFORM pg_notify('madoguchi_case_events', json_build_object(
            'case_id', r.case_id,
            'number', r.number,
            'account_id', r.account_id,
            'event_id', r.event_id,
            'internal', r.internal)::text);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER case_events_notify AFTER INSERT ON case_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_notify();

-- +goose Down
DROP TRIGGER case_events_notify ON case_events;
DROP FUNCTION case_events_notify();
