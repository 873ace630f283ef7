-- +goose Up
-- The staff list of organizations pages by (name, id); the duplicate-name
-- check on creation compares names without regard to case.
CREATE INDEX accounts_name_idx ON accounts (name, id);
CREATE INDEX accounts_lower_name_idx ON accounts (lower(name));

-- +goose Down
DROP INDEX accounts_lower_name_idx;
DROP INDEX accounts_name_idx;
