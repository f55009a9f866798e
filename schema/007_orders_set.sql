-- 007_orders_set.sql: orders placed set-based, a whole batch per statement (issue 6,
-- "durable orders per second"). PostgreSQL's CPU was the gateway's limit: 005's
-- erm_place_orders() looped over its MOs, ~10 nested function calls and ~20 statements per
-- order, and the ledger's summary trigger (006) fired once per order. Here one function,
-- erm_place_orders_set(), takes the whole batch through each step with one statement: one
-- INSERT of its mo_log rows, one of its orders, one of its ledger rows (the summary trigger
-- fires once per batch), one of its team splits, one of its holders' notes.
--
-- ONE implementation of the order rules: erm_place_order() (one order, storage/orders.c)
-- and erm_place_orders() (a batch, storage/order_batch.c) are redefined on top of it, with
-- the same signatures and columns (005's erm_place_orders_item() calls erm_place_order()). What it mirrors, step by
-- step (their semantics, item by item as if the batch's MOs came one after the other):
--   dedupe    erm_mo_fresh() (003); it calls erm_mo_fresh() itself for every MO whose key is
--             not new (logged before, or twice in the batch: rare), in item order
--   outcomes  erm_place_order_uncredited() (002's erm_place_order, renamed by 004)
--   credit    erm_credit_order() (004): the claim lock, NTH, the tier (erm_tier_fen written
--             out), period and day of the order's created_at, the split (erm_split itself)
--   note      erm_queue_note() (004) with kind 'order': the template of erm_texts filled as
--             erm_text() fills it (its replace() chain written out), the holder's numbers
--             (erm_holder_numbers itself for a team; an employee's own number, active as
--             the order's check required), opt-outs skipped, the period total as of the
--             order (erm_holder_total written out, plus the batch's credits before it)
-- Written out where a call per row would cost more than the row: SQL functions with FROM
-- are not inlined and are parsed and planned again at every execution of the statement
-- that calls them, a plpgsql call per row is a function call per row.
-- erm_credit_order() and erm_queue_note() stay: cancellations, replays and ermctl use them.
-- A change to a rule above goes to both places; tests/integration/test_orders_set.py checks
-- that a batch and the same orders through 004's erm_credit_order()/erm_queue_note() leave
-- the same orders, ledger, splits, summary and notes.
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

-- The MOs of a batch, element I of every array being MO I (P_KEYS, P_LINKS, P_SEQS and
-- P_WINDOWS are the dedupe step's, as erm_mo_fresh takes them; P_KEYS NULL: no dedupe step,
-- every item is fresh), each the order of P_CUSTOMERS[I] for SMS code P_CODES[I] over
-- P_CHANNEL. One row per item, ITEM = I:
--   STATUS            'fresh', or 'redelivered' (a redelivery: nothing done, the rest NULL)
--   OUTCOME           erm_place_order()'s: 'unknown', 'inactive', 'invalid', 'not_started',
--                     'ended', 'dup', 'ok'
--   PRODUCT_NAME      the code's product (NULL for 'unknown')
--   ORDER_ID, COMMISSION_FEN, PERIOD, PERIOD_TOTAL_FEN, NOTES   as erm_place_order's, NULL
--                     unless OUTCOME is 'ok'
-- Exactly as if the items were placed one after the other in item order: a key seen twice is
-- the second MO after the first (erm_mo_fresh), the same customer ordering the same product
-- twice gets 'ok' then 'dup', a holder's credits of a product count up in item order (tiers)
-- and each note's period total includes the holder's earlier credits of the batch.
--
-- Any error raises (nothing of the batch is kept by the caller's subtransaction); callers
-- that must not lose the other items run each alone again (erm_place_orders).
--
-- Locks, so that batches of several connections (or gateways) can run at once: mo_log keys
-- and orders are inserted sorted (by key, by customer and product; bytewise, COLLATE "C")
-- so that two batches wait on each other's rows in one order; the claims of the counted
-- orders are locked FOR NO KEY UPDATE in code order after the orders are in and before
-- their credits are counted, as erm_credit_order() does for one, so that the credits of one
-- code stay serialised without deadlocks between batches. Order ids are drawn in item order
-- all the same, so that a replay by (created_at, id) counts as the batch did.
--
-- Plans: generic ones (plan_cache_mode), made once per session: planning these statements
-- anew for every call would cost a lone order more than running them.
CREATE FUNCTION erm_place_orders_set(p_keys text[], p_links text[], p_seqs bigint[],
                                     p_windows integer[], p_customers text[], p_codes text[],
                                     p_channel text)
    RETURNS TABLE (item integer, status text, outcome text, product_name text,
                   order_id bigint, commission_fen bigint, period text,
                   period_total_fen bigint, notes integer)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    n integer := coalesce(array_length(p_customers, 1), 0);
    v_fresh boolean[];   -- per item: handled (true) or a redelivery
    i integer;
    v_outcome text[];    -- per item: NULL while a candidate for an order
    v_name text[];
    v_order bigint[];    -- per item: the order's id when 'ok', else NULL; and its holder:
    v_emp text[];
    v_team integer[];
    v_product text[];
    v_per text;          -- the orders' period and day
    v_day date;
    v_base_fen bigint[]; -- the product's commission_fen (no tier)
    v_msisdn text[];     -- the employee's number (employee holders)
    v_service text[];    -- the product's service number (the notes' source)
    v_ledger bigint[];   -- the credit's ledger row
    v_tpl text;          -- the note templates (erm_texts)
    v_tpl_team text;
    v_fen bigint[];
    v_total bigint[];
    v_notes integer[];
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    IF p_codes IS NULL OR array_length(p_codes, 1) IS DISTINCT FROM n
       OR (p_keys IS NOT NULL
           AND (array_length(p_keys, 1) IS DISTINCT FROM n
                OR array_length(p_links, 1) IS DISTINCT FROM n
                OR array_length(p_seqs, 1) IS DISTINCT FROM n
                OR array_length(p_windows, 1) IS DISTINCT FROM n)) THEN
        RAISE EXCEPTION 'erm_place_orders_set: the arrays differ in length';
    END IF;

    -- 1. Dedupe (erm_mo_fresh): the first item of each key not logged yet is logged by one
    -- INSERT; every other item (its key was logged before, or an earlier item has it) takes
    -- erm_mo_fresh() in item order, which sees what the items before it did.
    IF p_keys IS NULL THEN
        v_fresh := array_fill(true, ARRAY[n]);
    ELSE
        WITH u AS (SELECT * FROM unnest(p_keys, p_links, p_seqs) WITH ORDINALITY
                                   AS u(k, l, s, i)),
             firsts AS MATERIALIZED (
                 SELECT DISTINCT ON (u.k COLLATE "C") u.k, u.l, u.s, u.i
                   FROM u ORDER BY u.k COLLATE "C", u.i),
             ins AS (INSERT INTO mo_log (key, link, seq)
                     SELECT f.k, f.l, f.s FROM firsts f ORDER BY f.k COLLATE "C"
                     ON CONFLICT (key) DO NOTHING
                     RETURNING mo_log.key),
             logged AS (SELECT f.i FROM firsts f WHERE f.k IN (SELECT ins.key FROM ins))
        SELECT array_agg(z.fresh) INTO v_fresh
          FROM (SELECT g.i IN (SELECT logged.i FROM logged) AS fresh
                  FROM generate_series(1, n) AS g(i) ORDER BY g.i) z;
        FOREACH i IN ARRAY array_positions(v_fresh, false) LOOP
            v_fresh[i] := erm_mo_fresh(p_keys[i], p_links[i], p_seqs[i], p_windows[i]);
        END LOOP;
    END IF;

    -- 2. The orders. An item's outcome is decided by its code first, in the order of checks
    -- of erm_place_order_uncredited; of a customer's remaining items ordering one product the
    -- first in item order is inserted (ON CONFLICT: ordered before, or by a concurrent
    -- transaction: 'dup'), the others are 'dup'. Ids drawn in item order (nextval runs after
    -- the sort), rows inserted in key order.
    WITH u AS MATERIALIZED (
             SELECT u.i, v_fresh[u.i] AS fresh, u.customer, c.code, c.employee_id, c.team_id,
                    c.product_code, p.name, p.service, p.commission_fen, e.msisdn,
                    CASE WHEN c.code IS NULL THEN 'unknown'
                         WHEN p.status <> 'active' THEN 'inactive'
                         WHEN c.employee_id IS NOT NULL AND NOT e.active THEN 'invalid'
                         WHEN p.starts_on IS NOT NULL AND current_date < p.starts_on
                             THEN 'not_started'
                         WHEN p.ends_on IS NOT NULL AND current_date > p.ends_on THEN 'ended'
                    END AS refused
               FROM unnest(p_customers, p_codes) WITH ORDINALITY AS u(customer, code, i)
               LEFT JOIN claims c ON c.code = u.code AND v_fresh[u.i]
               LEFT JOIN products p ON p.code = c.product_code
               LEFT JOIN employees e ON e.id = c.employee_id),
         ids AS MATERIALIZED (
             SELECT w.*, nextval('orders_id_seq'::regclass) AS id
               FROM (SELECT u.*,
                            row_number() OVER (PARTITION BY u.customer COLLATE "C",
                                                            u.product_code COLLATE "C"
                                               ORDER BY u.i) AS k
                       FROM u WHERE u.fresh AND u.refused IS NULL) w
              WHERE w.k = 1
              ORDER BY w.i),
         ins AS (
             INSERT INTO orders (id, customer, code, employee_id, team_id, product_code,
                                 channel)
             SELECT ids.id, ids.customer, ids.code, ids.employee_id, ids.team_id,
                    ids.product_code, p_channel
               FROM ids ORDER BY ids.customer COLLATE "C", ids.product_code COLLATE "C"
             ON CONFLICT (customer, product_code) DO NOTHING
             RETURNING orders.id),
         r AS (
             SELECT u.*, ids.id IN (SELECT ins.id FROM ins) AS ok, ids.id
               FROM u LEFT JOIN ids ON ids.i = u.i
              ORDER BY u.i)
    SELECT array_agg(CASE WHEN NOT r.fresh THEN NULL
                          WHEN r.refused IS NOT NULL THEN r.refused
                          WHEN r.ok THEN 'ok'
                          ELSE 'dup' END),
           array_agg(r.name), array_agg(CASE WHEN r.ok THEN r.id END),
           array_agg(CASE WHEN r.ok THEN r.employee_id END),
           array_agg(CASE WHEN r.ok THEN r.team_id END),
           array_agg(CASE WHEN r.ok THEN r.product_code END),
           array_agg(CASE WHEN r.ok THEN r.commission_fen END),
           array_agg(CASE WHEN r.ok THEN r.msisdn END),
           array_agg(CASE WHEN r.ok THEN r.service END)
      INTO v_outcome, v_name, v_order, v_emp, v_team, v_product, v_base_fen, v_msisdn,
           v_service
      FROM r;

    IF array_position(v_outcome, 'ok') IS NULL THEN
        RETURN QUERY SELECT g.i, CASE WHEN v_fresh[g.i] THEN 'fresh' ELSE 'redelivered' END,
                            v_outcome[g.i], v_name[g.i], NULL::bigint, NULL::bigint,
                            NULL::text, NULL::bigint, NULL::integer
                       FROM generate_series(1, n) AS g(i);
        RETURN;
    END IF;

    -- 3. The claims of the counted orders, in code order: credits of one code are counted
    -- one transaction at a time (erm_credit_order's lock). Before the next statement, whose
    -- snapshot then sees the credits of the transactions waited for.
    PERFORM 1 FROM claims c
      WHERE c.code IN (SELECT u.code FROM unnest(p_codes, v_outcome) AS u(code, oc)
                        WHERE u.oc = 'ok')
      ORDER BY c.code COLLATE "C"
        FOR NO KEY UPDATE OF c;

    -- 4. The credits (erm_credit_order), one ledger row per counted order in item order,
    -- inserted by one statement so that the summary trigger (006) fires once. The orders'
    -- created_at is now() (the column's default), hence one period and day. NTH: the
    -- holder's credits of the product in the period before (the statement's snapshot: the
    -- ledger without this batch) plus its rank among the batch's; the tier as erm_tier_fen;
    -- the period total as of each order: the holder's total before the batch (as
    -- erm_holder_total) plus the batch's credits of the holder up to it.
    v_day := erm_day_of(now());
    v_per := to_char(v_day::timestamp, 'YYYY-MM'); -- erm_period_of(now()), its day's month
    WITH o AS (
             SELECT u.i, u.id, u.employee_id, u.team_id, u.product_code, u.base_fen, h.n0,
                    h.before_fen
               FROM unnest(v_order, v_emp, v_team, v_product, v_base_fen) WITH ORDINALITY
                        AS u(id, employee_id, team_id, product_code, base_fen, i)
              CROSS JOIN LATERAL (
                    SELECT count(*) FILTER (WHERE l.kind = 'credit'
                                              AND l.product_code = u.product_code) AS n0,
                           coalesce(sum(l.amount_fen), 0) AS before_fen
                      FROM (SELECT l.kind, l.product_code, l.amount_fen
                              FROM commission_ledger l
                             WHERE u.employee_id IS NOT NULL
                               AND l.employee_id = u.employee_id AND l.period = v_per
                            UNION ALL
                            SELECT l.kind, l.product_code, l.amount_fen
                              FROM commission_ledger l
                             WHERE u.team_id IS NOT NULL
                               AND l.team_id = u.team_id AND l.period = v_per) l) h
              WHERE u.id IS NOT NULL),
         b AS (
             SELECT o.*,
                    (o.n0 + row_number() OVER (PARTITION BY o.employee_id, o.team_id,
                                                            o.product_code
                                               ORDER BY o.i))::integer AS nth
               FROM o),
         f AS MATERIALIZED (
             SELECT b.*,
                    coalesce((SELECT t.commission_fen FROM product_tiers t
                               WHERE t.product_code = b.product_code AND t.from_order <= b.nth
                               ORDER BY t.from_order DESC LIMIT 1),
                             b.base_fen) AS fen
               FROM b),
         led AS (
             INSERT INTO commission_ledger (order_id, kind, employee_id, team_id,
                                            product_code, period, order_day, nth, amount_fen)
             SELECT f.id, 'credit', f.employee_id, f.team_id, f.product_code, v_per, v_day,
                    f.nth, f.fen
               FROM f ORDER BY f.i
             RETURNING commission_ledger.id, commission_ledger.order_id),
         t AS (
             SELECT f.i, f.fen,
                    f.before_fen + sum(f.fen) OVER (PARTITION BY f.employee_id, f.team_id
                                                    ORDER BY f.i
                                                    ROWS UNBOUNDED PRECEDING) AS total
               FROM f)
    SELECT array_agg(z.fen), array_agg(z.total), array_agg(z.id)
      INTO v_fen, v_total, v_ledger
      FROM (SELECT t.fen, t.total::bigint, led.id FROM generate_series(1, n) AS g(i)
              LEFT JOIN t ON t.i = g.i LEFT JOIN led ON led.order_id = v_order[g.i]
             ORDER BY g.i) z;
    -- A team's entries are split among its members (erm_split), when the batch has any.
    IF cardinality(array_remove(v_team, NULL)) > 0 THEN
        INSERT INTO commission_splits (ledger_id, member_employee, member_msisdn, is_leader,
                                       amount_fen)
        SELECT u.id, s.member_employee, s.member_msisdn, s.is_leader, s.amount_fen
          FROM unnest(v_ledger, v_team, v_fen) AS u(id, team_id, fen)
         CROSS JOIN LATERAL erm_split(u.team_id, u.fen) s
         WHERE u.team_id IS NOT NULL;
    END IF;

    -- 5. The holders' notes (erm_queue_note, kind 'order'): the template filled as erm_text
    -- fills it (slot by slot in its order, a missing template an error), an empty one turns
    -- the note off; one outbox row per holder number that did not text TD, in item order.
    SELECT (SELECT e.text FROM erm_texts e WHERE e.key = 'note_order'),
           (SELECT e.text FROM erm_texts e WHERE e.key = 'note_order_team')
      INTO v_tpl, v_tpl_team;
    IF v_tpl IS NULL OR v_tpl_team IS NULL THEN
        RAISE EXCEPTION 'erm_place_orders_set: no note_order or note_order_team in erm_texts';
    END IF;
    WITH m AS MATERIALIZED (
             SELECT u.i, u.code, u.team_id, u.msisdn, u.service,
                    replace(replace(replace(replace(replace(
                        CASE WHEN u.team_id IS NULL THEN v_tpl ELSE v_tpl_team END,
                        '{m}', erm_mask(u.customer)), '{p}', u.name),
                        '{a}', erm_yuan(abs(u.fen))), '{t}', erm_yuan(u.total)),
                        '{h}', coalesce(tm.name, '')) AS body
               FROM unnest(v_order, p_customers, p_codes, v_team, v_msisdn, v_name,
                           v_service, v_fen, v_total)
                        WITH ORDINALITY AS u(id, customer, code, team_id, msisdn, name,
                                             service, fen, total, i)
               LEFT JOIN teams tm ON tm.id = u.team_id
              WHERE u.id IS NOT NULL),
         h AS (
             SELECT m.i, m.msisdn AS num, m.service, m.body
               FROM m WHERE m.team_id IS NULL AND m.body <> ''
             UNION ALL
             SELECT m.i, h.num, m.service, m.body
               FROM m CROSS JOIN LATERAL erm_holder_numbers(m.code) AS h(num)
              WHERE m.team_id IS NOT NULL AND m.body <> ''),
         d AS MATERIALIZED (
             SELECT h.* FROM h
              WHERE NOT EXISTS (SELECT 1 FROM optouts x WHERE x.msisdn = h.num)),
         ins AS (
             INSERT INTO outbox (dest, source, kind, text)
             SELECT d.num, d.service, 'commission_note', d.body FROM d ORDER BY d.i, d.num),
         c AS (SELECT d.i, count(*)::integer AS k FROM d GROUP BY d.i)
    SELECT array_agg(z.k) INTO v_notes
      FROM (SELECT CASE WHEN v_order[g.i] IS NOT NULL THEN coalesce(c.k, 0) END AS k
              FROM generate_series(1, n) AS g(i) LEFT JOIN c ON c.i = g.i ORDER BY g.i) z;

    RETURN QUERY SELECT g.i, CASE WHEN v_fresh[g.i] THEN 'fresh' ELSE 'redelivered' END,
                        v_outcome[g.i], v_name[g.i], v_order[g.i], v_fen[g.i],
                        CASE WHEN v_order[g.i] IS NOT NULL THEN v_per END, v_total[g.i],
                        v_notes[g.i]
                   FROM generate_series(1, n) AS g(i);
END
$$;

-- One order, as 004 defined it (same parameters and columns): the set function over one
-- item, without a dedupe step.
CREATE OR REPLACE FUNCTION erm_place_order(p_customer text, p_code text, p_channel text,
                                           OUT outcome text, OUT product_name text,
                                           OUT order_id bigint, OUT commission_fen bigint,
                                           OUT period text, OUT period_total_fen bigint,
                                           OUT notes integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    SELECT s.outcome, s.product_name, s.order_id, s.commission_fen, s.period,
           s.period_total_fen, s.notes
      INTO outcome, product_name, order_id, commission_fen, period, period_total_fen, notes
      FROM erm_place_orders_set(NULL, NULL, NULL, NULL, ARRAY[p_customer], ARRAY[p_code],
                                p_channel) AS s;
END
$$;

-- The batch, as 005 defined it (same parameters and columns): the set function over every
-- MO in one subtransaction (the cheap path); only when that raises (a bad MO, a deadlock
-- with another batch) is everything of it undone and each MO placed again on its own with
-- 005's erm_place_orders_item(), unchanged: in a subtransaction of its own, its dedupe step
-- (erm_mo_fresh) and erm_place_order(), i.e. the set function over that one MO. So one bad
-- MO fails itself ('error'), never its batch-mates.
CREATE OR REPLACE FUNCTION erm_place_orders(p_keys text[], p_links text[], p_seqs bigint[],
                                            p_windows integer[], p_customers text[],
                                            p_codes text[], p_channel text)
    RETURNS TABLE (item integer, status text, outcome text, product_name text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n integer := coalesce(array_length(p_keys, 1), 0);
BEGIN
    BEGIN
        -- Rows of RETURN QUERY are not taken back by an exception, but none comes before
        -- the set function has returned them all (a plpgsql function's result is complete
        -- before it is read): when it raises, nothing is returned yet.
        RETURN QUERY SELECT s.item, s.status, s.outcome, s.product_name
                       FROM erm_place_orders_set(p_keys, p_links, p_seqs, p_windows,
                                                 p_customers, p_codes, p_channel) AS s
                      ORDER BY s.item;
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        -- Each MO on its own, one after the other in item order (the calls of the lateral).
        RETURN QUERY SELECT g.g, i.status, i.outcome, i.product_name
                       FROM generate_series(1, n) AS g(g)
                      CROSS JOIN LATERAL erm_place_orders_item(p_keys[g.g], p_links[g.g],
                                                               p_seqs[g.g], p_windows[g.g],
                                                               p_customers[g.g], p_codes[g.g],
                                                               p_channel, true) AS i
                      ORDER BY g.g;
    END;
END
$$;
