-- +goose Up
-- Partner organizations (resellers, integrators) file and follow cases for
-- the customer organizations they serve. A case filed by a partner's contact
-- belongs to the customer organization (account_id) and remembers the partner
-- it came through (partner_account_id).
ALTER TABLE accounts ADD COLUMN is_partner boolean NOT NULL DEFAULT false;

CREATE TABLE partner_customers (
    partner_id   bigint NOT NULL REFERENCES accounts(id),
    customer_id  bigint NOT NULL REFERENCES accounts(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, customer_id),
    CHECK (partner_id <> customer_id)
);
CREATE INDEX partner_customers_customer_idx ON partner_customers (customer_id);

ALTER TABLE cases ADD COLUMN partner_account_id bigint REFERENCES accounts(id);
CREATE INDEX cases_partner_idx ON cases (partner_account_id, updated_at DESC, id DESC)
    WHERE partner_account_id IS NOT NULL;

-- +goose Down
DROP INDEX cases_partner_idx;
ALTER TABLE cases DROP COLUMN partner_account_id;
DROP TABLE partner_customers;
ALTER TABLE accounts DROP COLUMN is_partner;
