-- 006_report_summary.sql: the per-day summary of the commission ledger that `ermctl report`
-- reads (issue 4: a report over a million orders well under a second).
--
-- commission_daily holds, per holder (employee or team), product and order day, the number
-- of credits (orders), of reversals (cancelled) and the net amount in fen: exactly
-- SELECT count(*) FILTER (kind = 'credit'), count(*) FILTER (kind = 'reversal'),
-- sum(amount_fen) FROM commission_ledger GROUP BY employee_id, team_id, product_code,
-- order_day. The ledger stays the source of truth; this table is derived from it and can be
-- rebuilt from it at any time (erm_commission_daily_rebuild). A report reads one row per
-- holder, product and day instead of one per order and per cancellation.
--
-- It is kept by a statement-level AFTER INSERT trigger on the ledger, so it changes in the
-- same transaction as the ledger row, whoever writes it: erm_credit_order() (one order, or
-- each order of a group-commit batch), erm_cancel_order(), and bulk loads such as
-- tests/gen_orders.py (one aggregated upsert for the whole statement). The ledger is
-- append-only (004), so INSERT is the only change to follow. A trigger rather than copies
-- of the credit and reversal functions: their bodies stay in one place (004) and a later
-- writer of the ledger cannot forget the summary.
--
-- Locking: a credit already holds the lock on its claim (erm_credit_order), and one holder
-- has one claim per product, so the summary row of a (holder, product, day) is only ever
-- contended by a reversal, which takes no other lock after it: no new deadlock.
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

-- Rows are updated in place on every order of their holder, product and day; room on the
-- page keeps those updates HOT (no index columns change), so the table does not bloat.
CREATE TABLE commission_daily (
    employee_id  text,
    team_id      integer,
    product_code text NOT NULL,
    order_day    date NOT NULL,
    orders       bigint NOT NULL,
    cancelled    bigint NOT NULL,
    amount_fen   bigint NOT NULL,
    CHECK ((employee_id IS NULL) <> (team_id IS NULL)),
    -- NULLS NOT DISTINCT: one row per holder whether the holder is an employee or a team.
    CONSTRAINT commission_daily_key UNIQUE NULLS NOT DISTINCT
        (employee_id, team_id, product_code, order_day)
) WITH (fillfactor = 80);

-- Adds the ledger rows of one INSERT statement (the transition table NEW_ROWS) to the
-- summary. Aggregated first, so a bulk insert is one upsert per key, in key order so that
-- two bulk loads lock the rows they share in the same order.
CREATE FUNCTION erm_commission_daily_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO commission_daily AS d (employee_id, team_id, product_code, order_day, orders,
                                       cancelled, amount_fen)
    SELECT n.employee_id, n.team_id, n.product_code, n.order_day,
           count(*) FILTER (WHERE n.kind = 'credit'),
           count(*) FILTER (WHERE n.kind = 'reversal'), sum(n.amount_fen)::bigint
      FROM new_rows n
     GROUP BY n.employee_id, n.team_id, n.product_code, n.order_day
     ORDER BY n.employee_id, n.team_id, n.product_code, n.order_day
    ON CONFLICT ON CONSTRAINT commission_daily_key DO UPDATE
       SET orders = d.orders + EXCLUDED.orders,
           cancelled = d.cancelled + EXCLUDED.cancelled,
           amount_fen = d.amount_fen + EXCLUDED.amount_fen;
    RETURN NULL;
END
$$;

-- Refills the summary from the ledger (the migration's backfill; a repair if it was ever
-- edited by hand). The lock keeps ledger writers out until the caller's transaction ends,
-- so no row is counted twice or missed.
CREATE FUNCTION erm_commission_daily_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE commission_ledger IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM commission_daily;
    INSERT INTO commission_daily (employee_id, team_id, product_code, order_day, orders,
                                  cancelled, amount_fen)
    SELECT l.employee_id, l.team_id, l.product_code, l.order_day,
           count(*) FILTER (WHERE l.kind = 'credit'),
           count(*) FILTER (WHERE l.kind = 'reversal'), sum(l.amount_fen)::bigint
      FROM commission_ledger l
     GROUP BY l.employee_id, l.team_id, l.product_code, l.order_day;
END
$$;

CREATE TRIGGER commission_ledger_daily AFTER INSERT ON commission_ledger
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION erm_commission_daily_add();

-- The ledger so far. After the trigger exists and under the rebuild's lock: every ledger
-- row committed before is read here, every later one goes through the trigger.
SELECT erm_commission_daily_rebuild();
-- Statistics now rather than at autovacuum's leisure: the first report after the migration
-- gets a plan for the table's real size.
ANALYZE commission_daily;
