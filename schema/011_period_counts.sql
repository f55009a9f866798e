-- 011_period_counts.sql: the order path counts a holder's period from the daily summary,
-- not from the ledger (issue 6).
--
-- Each order needs its holder's credits of the product so far in the period (N, for the
-- tier) and the holder's net commission so far in the period (the note's total). 007 read
-- them from the ledger: one index entry and one heap row per earlier order of the holder in
-- the period, under the claim's lock. A holder's period cost grew with the square of its
-- orders, and a popular code (the very point of the campaign) slowed every one of its
-- orders: measured, one order of a code whose holder had 5,000 orders that month took 2.0 ms
-- instead of 0.65; in the benchmark the ledger statement's share grew run by run as the
-- ledger outgrew shared_buffers (44 -> 89 us per order over four runs).
--
-- commission_daily (schema/006) holds the same numbers per holder, product and order day,
-- kept in the same transaction as the ledger rows by the ledger's statement trigger: the
-- period's credits of a product are sum(orders) over the period's days, its net total
-- sum(amount_fen). So a lookup reads at most one row per day and product of the holder,
-- whatever the number of orders. (A ledger row's period is always its order day's month:
-- both come from the order's created_at in Asia/Shanghai, erm_period_of/erm_day_of; the
-- reversal copies its credit's.) The key of commission_daily is reordered to (holder, day,
-- product) so that one holder's days of one period are one index range.
--
-- The summary now feeds the order rules, not only the reports: anything that writes the
-- ledger with its triggers off (session_replication_role = replica) must call
-- erm_commission_daily_rebuild() after. erm_credit_order() (004) still counts on the ledger
-- (replays; the reference that tests/integration/test_orders_set.py compares batches with).
--
-- erm_place_orders_set is 007's with only that lookup changed (a migration repeats the
-- body; step 4 says what differs); erm_holder_total (004) reads the summary the same way.
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

ALTER TABLE commission_daily
    DROP CONSTRAINT commission_daily_key,
    ADD CONSTRAINT commission_daily_key UNIQUE NULLS NOT DISTINCT
        (employee_id, team_id, order_day, product_code);

-- The holder's net commission in period P (004's, on the summary).
CREATE OR REPLACE FUNCTION erm_holder_total(p_employee text, p_team integer, p text)
RETURNS bigint
LANGUAGE sql STABLE AS $$
    WITH r AS (SELECT to_date(p || '-01', 'YYYY-MM-DD') AS first,
                      (to_date(p || '-01', 'YYYY-MM-DD') + interval '1 month')::date AS next)
    SELECT coalesce(sum(d.amount_fen), 0)::bigint
      FROM r, commission_daily d
     WHERE ((p_employee IS NOT NULL AND d.employee_id = p_employee AND d.team_id IS NULL)
            OR (p_team IS NOT NULL AND d.employee_id IS NULL AND d.team_id = p_team))
       AND d.order_day >= r.first AND d.order_day < r.next
$$;

CREATE OR REPLACE FUNCTION erm_place_orders_set(p_keys text[], p_links text[], p_seqs bigint[],
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
    v_first date;        -- the period's first day and the next period's
    v_next date;
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
    -- erm_holder_total) plus the batch's credits of the holder up to it. (011: the counts
    -- before the batch are read from the summary over the period's days [V_FIRST, V_NEXT),
    -- 007 read them from the ledger by its period column.)
    v_day := erm_day_of(now());
    v_per := to_char(v_day::timestamp, 'YYYY-MM'); -- erm_period_of(now()), its day's month
    v_first := date_trunc('month', v_day::timestamp)::date;
    v_next := (v_first + interval '1 month')::date;
    WITH o AS (
             SELECT u.i, u.id, u.employee_id, u.team_id, u.product_code, u.base_fen, h.n0,
                    h.before_fen
               FROM unnest(v_order, v_emp, v_team, v_product, v_base_fen) WITH ORDINALITY
                        AS u(id, employee_id, team_id, product_code, base_fen, i)
              CROSS JOIN LATERAL (
                    SELECT coalesce(sum(d.orders) FILTER (WHERE d.product_code
                                                          = u.product_code), 0)::bigint AS n0,
                           coalesce(sum(d.amount_fen), 0)::bigint AS before_fen
                      FROM (SELECT d.product_code, d.orders, d.amount_fen
                              FROM commission_daily d
                             WHERE u.employee_id IS NOT NULL
                               AND d.employee_id = u.employee_id AND d.team_id IS NULL
                               AND d.order_day >= v_first AND d.order_day < v_next
                            UNION ALL
                            SELECT d.product_code, d.orders, d.amount_fen
                              FROM commission_daily d
                             WHERE u.team_id IS NOT NULL
                               AND d.employee_id IS NULL AND d.team_id = u.team_id
                               AND d.order_day >= v_first AND d.order_day < v_next) d) h
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
