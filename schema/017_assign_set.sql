-- 017_assign_set.sql: the hand-out of a whole department in two statements (issue 16).
--
-- `ermctl assign --dept` gave 100,000 holders their codes in 398 s: two statements a holder
-- (erm_claim_code, erm_queue_promo), each re-reading the product, the holder, last period's
-- ranking and max(seq). The two functions below take the whole list at once, set-based, with
-- the same rules; storage/handout.c renders the promo texts in between (core/promo.c).
-- And quotas above 99,999: a carrier-wide campaign needs up to seven sequence digits where
-- the code plan allows them (core/codeplan.h: the phone code, service number + product code +
-- sequence, stays within the 20 digits of an SMPP or CMPP address).

ALTER TABLE products DROP CONSTRAINT products_quota_check;
ALTER TABLE products ADD CONSTRAINT products_quota_check CHECK (quota BETWEEN 1 AND 9999999);

-- Hands P_PRODUCT's next codes to the holders P_EMPLOYEES[i] / P_TEAMS[i] (one of the two
-- set per i, the other NULL), in the order given, as erm_claim_code(..., p_self => false)
-- would one by one: ITEM is i (1-based), OUTCOME
--   'held'        the holder already has CODE (SEQ): nothing written
--   'restricted'  barred by last period's ranking (only while the product is active)
--   'full'        the quota is used up (this holder and every later one that needs a code)
--   'new'         CODE (SEQ) is the holder's from now on.
-- The caller has checked the product (exists, not retired, campaign not over) and the
-- holders (exist, active) in this transaction; the product's row is locked here, so that no
-- claim slips in between the sequences read and the ones written.
CREATE FUNCTION erm_assign_codes(p_product text, p_employees text[], p_teams integer[])
RETURNS TABLE (item integer, outcome text, code text, seq integer)
LANGUAGE plpgsql AS $$
DECLARE
    p products%ROWTYPE;
    base integer;
    prev text := erm_period_of(erm_period_start(erm_current_period()) - interval '1 day');
BEGIN
    IF cardinality(p_employees) IS DISTINCT FROM cardinality(p_teams) THEN
        RAISE EXCEPTION 'erm_assign_codes: % employees, % teams',
            cardinality(p_employees), cardinality(p_teams);
    END IF;
    SELECT * INTO p FROM products WHERE products.code = p_product FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'erm_assign_codes: no product %', p_product;
    END IF;
    SELECT coalesce(max(c.seq), 0) INTO base FROM claims c WHERE c.product_code = p_product;
    RETURN QUERY
    WITH h AS (
        SELECT u.i::integer AS i, u.emp, u.team
          FROM unnest(p_employees, p_teams) WITH ORDINALITY AS u(emp, team, i)
    ), held AS (
        -- two equality joins, not one join on "employee OR team": with the OR the planner
        -- can only loop over every claim for every holder
        SELECT h.i, c.code, c.seq
          FROM h JOIN claims c ON c.product_code = p_product AND c.employee_id = h.emp
        UNION ALL
        SELECT h.i, c.code, c.seq
          FROM h JOIN claims c ON c.product_code = p_product AND c.team_id = h.team
    ), restricted AS (
        SELECT r.employee_id, r.team_id FROM period_ranking r
         WHERE r.period = prev AND r.restricted
    ), barred AS (
        SELECT h.i FROM h
         WHERE p.status = 'active'
           AND NOT EXISTS (SELECT 1 FROM held WHERE held.i = h.i)
           AND (h.emp IN (SELECT employee_id FROM restricted)
                OR h.team IN (SELECT team_id FROM restricted))
    ), fresh AS (
        SELECT h.i, h.emp, h.team, (base + row_number() OVER (ORDER BY h.i))::integer AS s
          FROM h
         WHERE NOT EXISTS (SELECT 1 FROM held WHERE held.i = h.i)
           AND NOT EXISTS (SELECT 1 FROM barred WHERE barred.i = h.i)
    ), ins AS (
        INSERT INTO claims (code, product_code, seq, employee_id, team_id)
        SELECT p_product || lpad(f.s::text, p.width, '0'), p_product, f.s, f.emp, f.team
          FROM fresh f WHERE f.s <= p.quota
        RETURNING claims.code, claims.seq
    )
    SELECT held.i, 'held'::text, held.code, held.seq FROM held
    UNION ALL
    SELECT barred.i, 'restricted', NULL, NULL FROM barred
    UNION ALL
    SELECT f.i, CASE WHEN f.s <= p.quota THEN 'new' ELSE 'full' END,
           CASE WHEN f.s <= p.quota THEN p_product || lpad(f.s::text, p.width, '0') END,
           CASE WHEN f.s <= p.quota THEN f.s END
      FROM fresh f
    ORDER BY 1;
    -- ins runs whether or not its rows are read: a data-modifying CTE always completes.
END
$$;

-- Queues the promo push P_TEXTS[i] from P_SOURCE for code P_CODES[i] to each of that code's
-- numbers (erm_holder_numbers: the employee, or every member of the team), except those
-- that opted out; records each in promo_pushes: erm_queue_promo() for a whole list. The
-- outbox rows are numbered in the order of the list, then of the numbers, as one call per
-- code made them. ITEM is i; QUEUED and SKIPPED (opted out) count its numbers.
CREATE FUNCTION erm_queue_promos(p_codes text[], p_source text, p_texts text[])
RETURNS TABLE (item integer, queued integer, skipped integer)
LANGUAGE sql AS $$
    WITH u AS (
        SELECT x.i::integer AS i, x.code, x.text
          FROM unnest(p_codes, p_texts) WITH ORDINALITY AS x(code, text, i)
    ), nums AS (
        SELECT u.i, u.code, u.text, e.msisdn AS num
          FROM u JOIN claims c ON c.code = u.code
                 JOIN employees e ON e.id = c.employee_id
         WHERE e.active
        UNION
        SELECT u.i, u.code, u.text, coalesce(e.msisdn, m.msisdn)
          FROM u JOIN claims c ON c.code = u.code
                 JOIN team_members m ON m.team_id = c.team_id
                 LEFT JOIN employees e ON e.id = m.employee_id
         WHERE m.employee_id IS NULL OR e.active
    ), marked AS (
        SELECT n.*, EXISTS (SELECT 1 FROM optouts o WHERE o.msisdn = n.num) AS out
          FROM nums n
    ), numbered AS (
        -- ids taken in the list's order, so that the sender pushes in that order
        SELECT m.*, CASE WHEN NOT m.out THEN nextval('outbox_id_seq') END
                        AS outbox_id
          FROM (SELECT * FROM marked ORDER BY i, num) m
    ), ins AS (
        INSERT INTO outbox (id, dest, source, kind, text)
        SELECT outbox_id, num, p_source, 'promo', text FROM numbered WHERE outbox_id IS NOT NULL
    ), rec AS (
        INSERT INTO promo_pushes (code, msisdn, outbox_id)
        SELECT code, num, outbox_id FROM numbered ORDER BY i, num
    )
    SELECT u.i, count(n.num) FILTER (WHERE NOT n.out)::integer,
           count(n.num) FILTER (WHERE n.out)::integer
      FROM u LEFT JOIN numbered n ON n.i = u.i
     GROUP BY u.i
     ORDER BY u.i
$$;
