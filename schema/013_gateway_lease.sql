-- 013_gateway_lease.sql: several gateways on one database (issue 14).
--
-- Each ermgw names itself ([gateway] id). An outbox row it takes (state 'sending') carries
-- that id in OWNER, and the gateway keeps a lease in gateway_leases that it renews while it
-- is alive (storage/outbox.c). Another gateway puts a row back to the queue only when the
-- row's owner has no lease that is still running; start-up recovery and the sweep of stale
-- rows touch only the gateway's own rows (or rows of no owner: taken before this
-- migration). Written by storage/outbox.c only.
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

-- The gateway that took the row ('sending'), NULL once it is queued again or for rows
-- taken before gateways had ids.
ALTER TABLE outbox ADD COLUMN owner text;

-- One row per gateway id: EXPIRES_AT is when its rows may be taken over, pushed forward by
-- the gateway a few times per lease.
CREATE TABLE gateway_leases (
    gateway_id text PRIMARY KEY CHECK (gateway_id ~ '^[A-Za-z0-9._-]{1,63}$'),
    expires_at timestamptz NOT NULL
);
