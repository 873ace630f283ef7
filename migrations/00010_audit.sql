-- +goose Up
-- The audit log is append-only. The row trigger of 00001 did not fire for
-- TRUNCATE, nor for an UPDATE or DELETE that matched no row; statement
-- triggers refuse all three, always, with an error that says why.
DROP TRIGGER audit_log_no_update ON audit_log;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Audit entries are only ever inserted; record a new entry instead.';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

-- Every filter of the audit pages walks one of these in (at, id) order, the
-- keyset the pages use; partial where the column is often empty.
DROP INDEX audit_log_at_idx;
DROP INDEX audit_log_account_idx;
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_account_idx ON audit_log (account_id, at DESC, id DESC) WHERE account_id IS NOT NULL;
CREATE INDEX audit_log_account_action_idx ON audit_log (account_id, action, at DESC, id DESC) WHERE account_id IS NOT NULL;
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC, id DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_target_idx ON audit_log (target_user_id, at DESC, id DESC) WHERE target_user_id IS NOT NULL;

-- Agents look contacts up by the start of their address.
CREATE INDEX users_email_prefix_idx ON users (lower(email) text_pattern_ops);

-- +goose Down
DROP INDEX users_email_prefix_idx;
DROP INDEX audit_log_target_idx;
DROP INDEX audit_log_actor_idx;
DROP INDEX audit_log_action_idx;
DROP INDEX audit_log_account_action_idx;
DROP INDEX audit_log_account_idx;
DROP INDEX audit_log_at_idx;
CREATE INDEX audit_log_account_idx ON audit_log (account_id, at DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
DROP TRIGGER audit_log_append_only ON audit_log;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
