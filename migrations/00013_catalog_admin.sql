-- +goose Up
-- A retired category or problem is no longer offered on the create-case
-- form, but the cases filed under it keep it: rows are never deleted.
ALTER TABLE categories ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE problems ADD COLUMN active boolean NOT NULL DEFAULT true;

-- The staff page lists every agent and administrator, disabled and invited
-- ones included; without this it would scan every customer contact.
CREATE INDEX users_staff_idx ON users (name, id) WHERE role <> 'customer';

-- +goose Down
DROP INDEX users_staff_idx;
ALTER TABLE problems DROP COLUMN active;
ALTER TABLE categories DROP COLUMN active;
