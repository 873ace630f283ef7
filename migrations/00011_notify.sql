-- +goose Up
-- Every change to a case inserts a case_events row; announcing those rows is
-- how every `madoguchi serve` process learns that a page it streams to has
-- changed. NOTIFY is delivered at commit (and not at all on rollback), so a
-- listener never hears of a change it could not yet read. The payload names
-- the case and the event only: listeners fetch what they show through the
-- usual access checks.
-- +goose StatementBegin
CREATE FUNCTION case_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT number, account_id INTO c FROM cases WHERE id = NEW.case_id;
    PERFORM pg_notify('madoguchi_case_events', json_build_object(
        'case_id', NEW.case_id,
        'number', c.number,
        'account_id', c.account_id,
        'event_id', NEW.id,
        'internal', NEW.internal)::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER case_events_notify AFTER INSERT ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_notify();

-- +goose Down
DROP TRIGGER case_events_notify ON case_events;
DROP FUNCTION case_events_notify();
