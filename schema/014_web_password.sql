-- 014_web_password.sql: a console user whose password was made up for them (a one-time
-- password: `ermctl user add --generate`, or set by an admin on the users page) must
-- choose their own at their first login before anything else works (issue 13).
-- MUST_CHANGE is set with such a password and cleared by POST /api/v1/password
-- (storage/web_users.c).
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

ALTER TABLE web_users ADD COLUMN must_change boolean NOT NULL DEFAULT false;
