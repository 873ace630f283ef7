-- +goose Up

-- A customer organization. Its identifier is what contacts type when they register.
CREATE TABLE accounts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    identifier    text NOT NULL UNIQUE,
    name          text NOT NULL,
    mfa_required  boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Customers belong to an account; staff (agents, admins) have none.
CREATE TABLE users (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id            bigint REFERENCES accounts(id),
    email                 text NOT NULL,
    name                  text NOT NULL,
    role                  text NOT NULL CHECK (role IN ('customer', 'agent', 'admin')),
    is_approver           boolean NOT NULL DEFAULT false,
    is_account_admin      boolean NOT NULL DEFAULT false,
    -- invited: no password yet (welcome link pending); active; disabled.
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('invited', 'active', 'disabled')),
    password_hash         text NOT NULL DEFAULT '',
    must_change_password  boolean NOT NULL DEFAULT false,
    otp_method            text NOT NULL DEFAULT 'email' CHECK (otp_method IN ('app', 'email', 'none')),
    totp_secret           text NOT NULL DEFAULT '',
    totp_last_step        bigint NOT NULL DEFAULT 0,
    mfa_enrolled_at       timestamptz,
    otp_failures          integer NOT NULL DEFAULT 0,
    otp_locked_until      timestamptz,
    terms_version         integer NOT NULL DEFAULT 0,
    terms_accepted_at     timestamptz,
    time_zone             text NOT NULL DEFAULT 'Asia/Tokyo',
    country_code          text NOT NULL DEFAULT '',
    phone                 text NOT NULL DEFAULT '',
    mobile                text NOT NULL DEFAULT '',
    contact_method        text NOT NULL DEFAULT 'portal',
    language              text NOT NULL DEFAULT '',
    -- Bumped to end every other session (password change, reset, disable).
    session_epoch         integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'customer') = (account_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_account_idx ON users (account_id, name);

-- Versions of the terms of use; the newest published one must be accepted.
CREATE TABLE terms_versions (
    version       integer PRIMARY KEY,
    published_at  timestamptz NOT NULL DEFAULT now(),
    body_en       text NOT NULL,
    body_ja       text NOT NULL
);
INSERT INTO terms_versions (version, body_en, body_ja) VALUES (1,
'You may use this portal to request support for the products your organization has licensed. Keep your password and second factor to yourself, do not upload data you are not allowed to share, and tell us at once if you think your account has been used by someone else. We keep the cases, comments and files you send for as long as your organization''s support contract requires.',
'本ポータルは、貴社がライセンスを保有する製品のサポートを依頼するためにご利用いただけます。パスワードと二要素認証の手段はご本人のみが管理し、共有が許可されていないデータはアップロードしないでください。アカウントが第三者に利用された疑いがある場合は、直ちにご連絡ください。お送りいただいたケース、コメント、ファイルは、貴社のサポート契約が定める期間保管します。');

-- A contact's request to join an account, decided once by an approver.
CREATE TABLE registrations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts(id),
    token_hash      bytea NOT NULL UNIQUE,
    email           text NOT NULL,
    name            text NOT NULL,
    time_zone       text NOT NULL,
    country_code    text NOT NULL,
    phone           text NOT NULL,
    mobile          text NOT NULL,
    contact_method  text NOT NULL,
    otp_method      text NOT NULL CHECK (otp_method IN ('app', 'email')),
    language        text NOT NULL,
    state           text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'approved', 'rejected')),
    reason          text NOT NULL DEFAULT '',
    decided_by      bigint REFERENCES users(id),
    decided_at      timestamptz,
    user_id         bigint REFERENCES users(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX registrations_account_idx ON registrations (account_id, created_at DESC);
-- One pending request per address.
CREATE UNIQUE INDEX registrations_pending_email_key ON registrations (lower(email)) WHERE state = 'requested';

-- Single-use links: welcome (set first password) and password reset.
CREATE TABLE user_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id),
    purpose     text NOT NULL CHECK (purpose IN ('welcome', 'reset')),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

-- E-mailed one-time codes; a new one voids the previous.
CREATE TABLE email_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id),
    code_hash   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_codes_user_idx ON email_codes (user_id, created_at DESC);

CREATE TABLE recovery_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id),
    code_hash   text NOT NULL,
    used_at     timestamptz,
    UNIQUE (user_id, code_hash)
);

-- Fixed-window counters for rate limits, shared by every instance.
CREATE UNLOGGED TABLE rate_counters (
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Password failures per address (known or not), for growing lockouts.
CREATE TABLE login_failures (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    locked_until  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- E-mail outbox: written in the transaction of the change that causes the
-- mail, delivered by a background job.
CREATE TABLE outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address  text NOT NULL,
    to_name     text NOT NULL DEFAULT '',
    subject     text NOT NULL,
    text_body   text NOT NULL,
    html_body   text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_created_idx ON outbox (created_at DESC);

-- Append-only audit trail.
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_id        bigint REFERENCES users(id),
    account_id      bigint REFERENCES accounts(id),
    target_user_id  bigint REFERENCES users(id),
    action          text NOT NULL,
    ip              text NOT NULL DEFAULT '',
    detail          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_account_idx ON audit_log (account_id, at DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();

-- Sessions (alexedwards/scs pgxstore).
CREATE TABLE sessions (
    token   text PRIMARY KEY,
    data    bytea NOT NULL,
    expiry  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
