-- +goose Up

-- The product catalog. Product names are brand names and not translated;
-- versions and operating systems are short lists kept with the product.
CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    versions    text[] NOT NULL DEFAULT '{}',
    oses        text[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Categories and the problems under each, shown in the reader's language.
CREATE TABLE categories (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name_en  text NOT NULL,
    name_ja  text NOT NULL,
    sort     integer NOT NULL DEFAULT 0
);

CREATE TABLE problems (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id  bigint NOT NULL REFERENCES categories(id),
    name_en      text NOT NULL,
    name_ja      text NOT NULL,
    sort         integer NOT NULL DEFAULT 0
);
CREATE INDEX problems_category_idx ON problems (category_id, sort);

-- Case numbers are CS + 7 digits from a sequence: never reused, even when a
-- transaction that drew one rolls back.
CREATE SEQUENCE case_number_seq START 1 MAXVALUE 9999999 NO CYCLE;

CREATE TABLE cases (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number            text NOT NULL UNIQUE DEFAULT ('CS' || lpad(nextval('case_number_seq')::text, 7, '0')),
    account_id        bigint NOT NULL REFERENCES accounts(id),
    opened_by         bigint NOT NULL REFERENCES users(id),
    help_type         text NOT NULL CHECK (help_type IN ('product', 'portal')),
    product_id        bigint REFERENCES products(id),
    product_version   text NOT NULL DEFAULT '',
    os                text NOT NULL DEFAULT '',
    category_id       bigint REFERENCES categories(id),
    problem_id        bigint REFERENCES problems(id),
    priority          smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 4),
    subject           text NOT NULL,
    description       text NOT NULL,
    business_impact   text NOT NULL DEFAULT '',
    cc                text[] NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    sub_status        text NOT NULL DEFAULT 'new',
    assigned_to       bigint REFERENCES users(id),
    -- Bumped by every change, so a form built on an older version is refused
    -- instead of silently overwriting someone else's change.
    version           integer NOT NULL DEFAULT 1,
    follow_up_of      bigint REFERENCES cases(id),
    -- Set while the case waits on the customer; the auto-close clock.
    waiting_since     timestamptz,
    reminder_sent_at  timestamptz,
    -- A random token from the create form: a double-click submits it twice
    -- and creates one case.
    form_token        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    CHECK ((status = 'closed') = (sub_status IN ('resolved', 'no_response', 'close_agreed', 'closed_by_customer', 'out_of_scope')))
);
CREATE UNIQUE INDEX cases_form_token_key ON cases (opened_by, form_token) WHERE form_token IS NOT NULL;
-- My cases: a contact's own, an organization's, and those a contact is CC'd on.
CREATE INDEX cases_opened_by_idx ON cases (opened_by, updated_at DESC, id DESC);
CREATE INDEX cases_account_idx ON cases (account_id, updated_at DESC, id DESC);
CREATE INDEX cases_cc_idx ON cases USING gin (cc);
-- Auto-close scans cases waiting on the customer.
CREATE INDEX cases_waiting_idx ON cases (waiting_since) WHERE waiting_since IS NOT NULL;

-- The timeline: comments, internal notes and changes, oldest first.
CREATE TABLE case_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES cases(id),
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES users(id),
    -- created, comment, internal_note, status, solution, fields, reopened, survey
    kind         text NOT NULL,
    action       text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',
    internal     boolean NOT NULL DEFAULT false,
    from_status  text NOT NULL DEFAULT '',
    to_status    text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case_idx ON case_events (case_id, id);

CREATE TABLE attachments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases(id),
    event_id      bigint REFERENCES case_events(id),
    name          text NOT NULL,
    size          bigint NOT NULL,
    sha256        text NOT NULL,
    content_type  text NOT NULL,
    storage_key   text NOT NULL UNIQUE,
    uploaded_by   bigint NOT NULL REFERENCES users(id),
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_case_idx ON attachments (case_id, id);

-- The satisfaction survey, answered once per case after it closes.
CREATE TABLE case_surveys (
    case_id       bigint PRIMARY KEY REFERENCES cases(id),
    answers       smallint[] NOT NULL CHECK (array_length(answers, 1) = 5),
    comment       text NOT NULL DEFAULT '',
    submitted_by  bigint NOT NULL REFERENCES users(id),
    submitted_at  timestamptz NOT NULL DEFAULT now()
);
