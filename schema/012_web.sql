-- 012_web.sql: the web console's own tables (ermweb, issue 13): its users (managers and
-- admins, `ermctl user add`), their sessions, the one-time codes an employee logs in with,
-- and the audit trail of every manager action. Written by storage/web_users.c,
-- storage/web_sessions.c and storage/audit_log.c only.
--
-- Secrets are never stored as they are: a password as libsodium's Argon2id string
-- (crypto_pwhash_str), a session token and a one-time code as the hex SHA-256 of the
-- token (the token is 256 random bits, so a fast hash is enough; a code is salted with
-- the row's random SALT since six digits alone would be guessed offline).
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

-- A user of the console. ROLE admin manages users and sees everything; a manager with a
-- DEPT sees and acts on that department only (NULL: every department). FAILED counts the
-- wrong passwords in a row; LOCKED_UNTIL is set when they reach the lockout threshold.
CREATE TABLE web_users (
    id            serial PRIMARY KEY,
    login         text NOT NULL UNIQUE CHECK (login ~ '^[A-Za-z0-9._-]{1,40}$'),
    role          text NOT NULL CHECK (role IN ('admin', 'manager')),
    dept          text CHECK (dept <> ''),
    pw_hash       text NOT NULL,
    failed        integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- A logged-in browser: a user's (USER_ID) or an employee's (EMPLOYEE_ID), exactly one.
-- TOKEN_HASH is the SHA-256 of the cookie's token; CSRF the value the page must send back
-- in the X-CSRF-Token header of every state-changing request (bound to this session).
CREATE TABLE web_sessions (
    token_hash  text PRIMARY KEY,
    user_id     integer REFERENCES web_users (id) ON DELETE CASCADE,
    employee_id text REFERENCES employees (id),
    csrf        text NOT NULL,
    address     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CHECK ((user_id IS NULL) <> (employee_id IS NULL))
);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- A one-time code sent by SMS to an employee's registered number (MSISDN) asked for from
-- ADDRESS. Valid until EXPIRES_AT for TRIES wrong entries; USED once it logged in. Rows
-- also count the sends per number and per address for the hourly limits, so they are kept
-- a day (erm_web_housekeeping).
CREATE TABLE web_codes (
    id          bigserial PRIMARY KEY,
    msisdn      text NOT NULL,
    employee_id text REFERENCES employees (id),
    salt        text NOT NULL,
    code_hash   text NOT NULL,
    address     text NOT NULL,
    tries       integer NOT NULL DEFAULT 0,
    used        boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_codes_msisdn ON web_codes (msisdn, created_at);
CREATE INDEX web_codes_address ON web_codes (address, created_at);

-- Who did what, when, from where. ACTOR is the user's login (or "employee:ID"); WHAT a
-- short verb ("product.activate"); DETAIL the object and outcome, as text.
CREATE TABLE web_audit (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    dept    text,
    address text NOT NULL,
    what    text NOT NULL,
    detail  text NOT NULL DEFAULT ''
);
CREATE INDEX web_audit_at ON web_audit (at);
-- The throttle of failed logins per address counts these.
CREATE INDEX web_audit_address ON web_audit (address, what, at);

-- Drops expired sessions and codes older than a day (the hourly limits look back one
-- hour). Returns how many rows went.
CREATE FUNCTION erm_web_housekeeping(OUT sessions bigint, OUT codes bigint)
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM web_sessions WHERE expires_at < now();
    GET DIAGNOSTICS sessions = ROW_COUNT;
    DELETE FROM web_codes WHERE created_at < now() - interval '1 day';
    GET DIAGNOSTICS codes = ROW_COUNT;
END
$$;
