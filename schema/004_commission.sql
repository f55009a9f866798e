-- 004_commission.sql: real-time commission (酬金), queries (查询), cancellations, period
-- ranking and its claim restriction.
--
-- Periods are calendar months in Asia/Shanghai time, written 'YYYY-MM' (erm_period_of):
-- an order placed at 2026-11-30 23:59:59+08 belongs to 2026-11 whatever the server's or the
-- session's TimeZone. Money is integer fen (bigint).
--
-- The ledger (commission_ledger) is append-only: each counted order gets one 'credit' row
-- in the order's own transaction (erm_place_order -> erm_credit_order); a cancellation adds
-- one 'reversal' row of the opposite amount, never an edit. A reversal belongs to the
-- order's period and day (so a period's total and a report by order day always add up); its
-- CREATED_AT says when it happened. A team's entry is split among its members
-- (commission_splits) by the team's rule; the split rows always sum to the entry.
--
-- Tiers: the credit of a holder's N-th order of a product in a period (cancelled ones
-- included: an order's credit is fixed when it is placed, a later cancellation reverses
-- exactly that and re-prices nothing) is the product_tiers row with the greatest FROM_ORDER
-- <= N, else the product's commission_fen. core/commission.c is the same arithmetic.
--
-- Notes: the holder's "your friend ordered" note is rendered here from the templates in
-- erm_texts (seeded below; slots {m} masked customer, {p} product, {a} amount, {t} period
-- total, {h} team; an empty template turns that note off) and queued in the same
-- transaction, so a C-side batch of orders (group commit) needs nothing more than
-- erm_place_order's result. Numbers that texted TD get none.
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

-- ---- periods -------------------------------------------------------------------------------

CREATE FUNCTION erm_period_of(p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(p_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
$$;

CREATE FUNCTION erm_day_of(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_at AT TIME ZONE 'Asia/Shanghai')::date
$$;

-- The first instant of period P ('YYYY-MM').
CREATE FUNCTION erm_period_start(p text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT (p || '-01 00:00')::timestamp AT TIME ZONE 'Asia/Shanghai'
$$;

CREATE FUNCTION erm_period_end(p text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT ((p || '-01 00:00')::timestamp + interval '1 month') AT TIME ZONE 'Asia/Shanghai'
$$;

CREATE FUNCTION erm_current_period() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT erm_period_of(now())
$$;

-- ---- configuration -------------------------------------------------------------------------

ALTER TABLE products
    ADD COLUMN cancel_days integer NOT NULL DEFAULT 7 CHECK (cancel_days BETWEEN 0 AND 366);

-- From a holder's FROM_ORDER-th order of the product in a period on, COMMISSION_FEN each.
CREATE TABLE product_tiers (
    product_code   text NOT NULL REFERENCES products (code),
    from_order     integer NOT NULL CHECK (from_order BETWEEN 2 AND 1000000),
    commission_fen bigint NOT NULL CHECK (commission_fen >= 0),
    PRIMARY KEY (product_code, from_order)
);

-- How a team's commission is shared: 'equal' shares (the remainder fen to the leader) or
-- all to the 'leader'.
ALTER TABLE teams
    ADD COLUMN split text NOT NULL DEFAULT 'equal' CHECK (split IN ('equal', 'leader'));

-- A cancelled order stays (the history); the reversal is a ledger row.
ALTER TABLE orders
    ADD COLUMN cancelled_at timestamptz,
    ADD COLUMN cancel_reason text,
    ADD COLUMN cancelled_by text CHECK (cancelled_by IN ('customer', 'manager')),
    ADD CONSTRAINT orders_cancel_whole
        CHECK ((cancelled_at IS NULL) = (cancel_reason IS NULL)
               AND (cancelled_at IS NULL) = (cancelled_by IS NULL));

-- Texts rendered by SQL (notes, query replies). KEY is stable; TEXT may be reworded.
CREATE TABLE erm_texts (
    key  text PRIMARY KEY,
    text text NOT NULL
);
INSERT INTO erm_texts (key, text) VALUES
    ('note_order', '您的亲友{m}订购了{p}，酬金+{a}元，本期累计{t}元。'),
    ('note_order_team', '团队{h}的亲友{m}订购了{p}，团队酬金+{a}元，本期累计{t}元。'),
    ('note_cancel', '您的亲友{m}已取消{p}，酬金-{a}元，本期累计{t}元。'),
    ('note_cancel_team', '团队{h}的亲友{m}已取消{p}，团队酬金-{a}元，本期累计{t}元。'),
    ('cx_head', '本期({t})业绩：'),
    ('cx_line', '{p}({c})：订单{n}笔，取消{x}笔，酬金{a}元'),
    ('cx_total', '合计：订单{n}笔，取消{x}笔，酬金{a}元，排名第{r}/{k}名。'),
    ('cx_team', '团队{h}：订单{n}笔，取消{x}笔，酬金{a}元，排名第{r}/{k}名。'),
    ('cx_none', '您本期({t})暂无认领的产品，发送RL+产品编码(如RL10)认领。'),
    ('cx_unknown', '您的号码不是登记的员工号码，无法查询业绩，请联系营销经理。'),
    ('qx_ok', '您已取消{p}，感谢您的支持。'),
    ('qx_unknown', '您发送的代码{c}无效，请核对后重新发送。'),
    ('qx_no_order', '您没有通过代码{c}订购的产品，无需取消。'),
    ('qx_already', '您已取消过{p}，无需重复取消。'),
    ('qx_expired', '{p}已超过{d}天的取消期限，无法通过短信取消，请联系客服。');

-- Fills the {x} slots of the template KEY from the pairs of SLOTS ('{x}', value, ...).
CREATE FUNCTION erm_text(p_key text, VARIADIC slots text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t text;
    i integer := 1;
BEGIN
    SELECT e.text INTO STRICT t FROM erm_texts e WHERE e.key = p_key;
    WHILE i < coalesce(array_length(slots, 1), 0) LOOP
        t := replace(t, slots[i], coalesce(slots[i + 1], ''));
        i := i + 2;
    END LOOP;
    RETURN t;
END
$$;

-- Yuan text of FEN with two decimals, as core/money.c's money_format ("5.00", "-0.05").
CREATE FUNCTION erm_yuan(fen bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN fen < 0 THEN '-' ELSE '' END || (abs(fen) / 100)::text || '.'
           || lpad((abs(fen) % 100)::text, 2, '0')
$$;

-- The masked customer number of a note: 138****1234 for 11 digits (core/msisdn.c's
-- msisdn_mask), else the last four characters after ****.
CREATE FUNCTION erm_mask(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p ~ '^[0-9]{11}$' THEN left(p, 3) || '****' || right(p, 4)
                ELSE '****' || right(p, 4) END
$$;

-- ---- the ledger ----------------------------------------------------------------------------

CREATE TABLE commission_ledger (
    id           bigserial PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders (id),
    kind         text NOT NULL CHECK (kind IN ('credit', 'reversal')),
    employee_id  text REFERENCES employees (id),
    team_id      integer REFERENCES teams (id),
    product_code text NOT NULL REFERENCES products (code),
    period       text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    order_day    date NOT NULL,
    nth          integer CHECK (nth >= 1), -- credits: the holder's N-th order (tiers)
    amount_fen   bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((employee_id IS NULL) <> (team_id IS NULL)),
    CHECK ((kind = 'credit' AND amount_fen >= 0 AND nth IS NOT NULL)
           OR (kind = 'reversal' AND amount_fen <= 0)),
    UNIQUE (order_id, kind)
);
CREATE INDEX commission_ledger_employee ON commission_ledger (employee_id, period, product_code)
    WHERE employee_id IS NOT NULL;
CREATE INDEX commission_ledger_team ON commission_ledger (team_id, period, product_code)
    WHERE team_id IS NOT NULL;
CREATE INDEX commission_ledger_day ON commission_ledger (order_day);

-- A team entry's share of each member: an employee (MEMBER_EMPLOYEE) or somebody who is not
-- one (MEMBER_MSISDN). The shares of an entry sum to its amount.
CREATE TABLE commission_splits (
    ledger_id       bigint NOT NULL REFERENCES commission_ledger (id),
    member_employee text REFERENCES employees (id),
    member_msisdn   text,
    is_leader       boolean NOT NULL,
    amount_fen      bigint NOT NULL,
    CHECK ((member_employee IS NULL) <> (member_msisdn IS NULL))
);
CREATE INDEX commission_splits_ledger ON commission_splits (ledger_id);

CREATE FUNCTION erm_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: add a reversal entry instead', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER commission_ledger_append_only BEFORE UPDATE OR DELETE ON commission_ledger
    FOR EACH ROW EXECUTE FUNCTION erm_append_only();
CREATE TRIGGER commission_splits_append_only BEFORE UPDATE OR DELETE ON commission_splits
    FOR EACH ROW EXECUTE FUNCTION erm_append_only();

-- The commission of the holder's NTH order of product P (core/commission.c: commission_tier).
CREATE FUNCTION erm_tier_fen(p text, nth integer) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT t.commission_fen FROM product_tiers t
                      WHERE t.product_code = p AND t.from_order <= nth
                      ORDER BY t.from_order DESC LIMIT 1),
                    (SELECT pr.commission_fen FROM products pr WHERE pr.code = p))
$$;

-- The members of team T that share its commission, leader first, then by employee id and
-- number: the leader, active employees and members who are not employees.
CREATE FUNCTION erm_split_members(t integer)
RETURNS TABLE (member_employee text, member_msisdn text, is_leader boolean)
LANGUAGE sql STABLE AS $$
    SELECT tm.leader_id, NULL::text, true FROM teams tm WHERE tm.id = t
    UNION ALL
    SELECT * FROM (
        SELECT m.employee_id, m.msisdn, false
          FROM team_members m JOIN teams tm ON tm.id = m.team_id
          LEFT JOIN employees e ON e.id = m.employee_id
         WHERE m.team_id = t AND m.employee_id IS DISTINCT FROM tm.leader_id
           AND (m.employee_id IS NULL OR e.active)
         ORDER BY m.employee_id NULLS LAST, m.msisdn) o
$$;

-- The shares of AMOUNT (>= 0) for team T (core/commission.c: commission_split): 'equal'
-- gives each member AMOUNT / n and the leader the remainder too; 'leader' all to the leader.
CREATE FUNCTION erm_split(t integer, amount bigint)
RETURNS TABLE (member_employee text, member_msisdn text, is_leader boolean, amount_fen bigint)
LANGUAGE sql STABLE AS $$
    WITH m AS (SELECT * FROM erm_split_members(t)),
         n AS (SELECT count(*) AS n FROM m),
         r AS (SELECT tm.split FROM teams tm WHERE tm.id = t)
    SELECT m.member_employee, m.member_msisdn, m.is_leader,
           CASE WHEN r.split = 'leader' THEN CASE WHEN m.is_leader THEN amount ELSE 0 END
                WHEN m.is_leader THEN amount / n.n + amount % n.n
                ELSE amount / n.n END
      FROM m, n, r
$$;

-- The holder's net commission in period P.
CREATE FUNCTION erm_holder_total(p_employee text, p_team integer, p text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(l.amount_fen), 0)::bigint FROM commission_ledger l
     WHERE l.period = p AND (l.employee_id = p_employee OR l.team_id = p_team)
$$;

-- Credits order P_ORDER to its holder: the ledger row (its period and day are the order's),
-- the team's split. Holders' credits of one code are serialised by the lock on the claim, so
-- two concurrent orders never get the same N. Notes are not queued here (erm_place_order
-- does); a replay of historical orders calls this alone.
CREATE FUNCTION erm_credit_order(p_order bigint, OUT commission_fen bigint, OUT period text,
                                 OUT period_total_fen bigint, OUT nth integer)
LANGUAGE plpgsql AS $$
DECLARE
    o orders%ROWTYPE;
    lid bigint;
BEGIN
    SELECT * INTO STRICT o FROM orders WHERE id = p_order;
    PERFORM 1 FROM claims c WHERE c.code = o.code FOR NO KEY UPDATE;
    period := erm_period_of(o.created_at);
    SELECT count(*) + 1 INTO nth FROM commission_ledger l
     WHERE l.kind = 'credit' AND l.period = erm_credit_order.period
       AND l.product_code = o.product_code
       AND (l.employee_id = o.employee_id OR l.team_id = o.team_id);
    commission_fen := erm_tier_fen(o.product_code, nth);
    INSERT INTO commission_ledger (order_id, kind, employee_id, team_id, product_code, period,
                                   order_day, nth, amount_fen)
    VALUES (o.id, 'credit', o.employee_id, o.team_id, o.product_code, period,
            erm_day_of(o.created_at), nth, commission_fen)
    RETURNING id INTO lid;
    IF o.team_id IS NOT NULL THEN
        INSERT INTO commission_splits (ledger_id, member_employee, member_msisdn, is_leader,
                                       amount_fen)
        SELECT lid, s.member_employee, s.member_msisdn, s.is_leader, s.amount_fen
          FROM erm_split(o.team_id, commission_fen) s;
    END IF;
    period_total_fen := erm_holder_total(o.employee_id, o.team_id, period);
END
$$;

-- Queues the holder's note on order P_ORDER (KIND 'order' or 'cancel') for AMOUNT fen (its
-- absolute value is shown) and the period total TOTAL, to every number of the code's holder
-- except those that texted TD. Returns how many were queued.
CREATE FUNCTION erm_queue_note(p_order bigint, p_kind text, p_amount bigint, p_total bigint)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    o orders%ROWTYPE;
    pr products%ROWTYPE;
    team_name text;
    body text;
    n integer := 0;
    num text;
BEGIN
    SELECT * INTO STRICT o FROM orders WHERE id = p_order;
    SELECT * INTO STRICT pr FROM products WHERE code = o.product_code;
    SELECT t.name INTO team_name FROM teams t WHERE t.id = o.team_id;
    body := erm_text('note_' || p_kind || CASE WHEN o.team_id IS NULL THEN '' ELSE '_team' END,
                     '{m}', erm_mask(o.customer), '{p}', pr.name, '{a}', erm_yuan(abs(p_amount)),
                     '{t}', erm_yuan(p_total), '{h}', team_name);
    IF body = '' THEN
        RETURN 0; -- the operator turned this note off (an empty template)
    END IF;
    FOR num IN SELECT x FROM erm_holder_numbers(o.code) AS x ORDER BY x LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM optouts WHERE msisdn = num);
        INSERT INTO outbox (dest, source, kind, text)
        VALUES (num, pr.service, 'commission_note', body);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- ---- the order: credited and noted in its own transaction ----------------------------------

-- The order of 002 stays as it was, under another name; erm_place_order() is that plus the
-- credit and the note. Same parameters and first columns (OUTCOME, PRODUCT_NAME, ORDER_ID);
-- new columns at the end: COMMISSION_FEN credited, PERIOD, PERIOD_TOTAL_FEN the holder's
-- net total in it, NOTES queued (all NULL unless OUTCOME is 'ok').
ALTER FUNCTION erm_place_order(text, text, text) RENAME TO erm_place_order_uncredited;

CREATE FUNCTION erm_place_order(p_customer text, p_code text, p_channel text,
                                OUT outcome text, OUT product_name text, OUT order_id bigint,
                                OUT commission_fen bigint, OUT period text,
                                OUT period_total_fen bigint, OUT notes integer)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT b.outcome, b.product_name, b.order_id INTO outcome, product_name, order_id
      FROM erm_place_order_uncredited(p_customer, p_code, p_channel) b;
    IF outcome <> 'ok' THEN
        RETURN;
    END IF;
    SELECT c.commission_fen, c.period, c.period_total_fen
      INTO commission_fen, period, period_total_fen
      FROM erm_credit_order(order_id) c;
    notes := erm_queue_note(order_id, 'order', commission_fen, period_total_fen);
END
$$;

-- Orders placed before this migration are credited now, in the order they came (no notes).
SELECT erm_credit_order(id) FROM orders ORDER BY created_at, id;

-- ---- cancellation ----------------------------------------------------------------------

-- Cancels order P_ORDER by P_BY ('customer' or 'manager') for P_REASON: the order is marked,
-- the credit reversed by a new ledger row (with the team's split negated share by share),
-- the holder noted. OUTCOME: 'no_order', 'already' (cancelled before: nothing written),
-- 'ok'. REVERSED_FEN is the (negative) reversal, PERIOD_TOTAL_FEN the holder's total after.
CREATE FUNCTION erm_cancel_order(p_order bigint, p_reason text, p_by text,
                                 OUT outcome text, OUT reversed_fen bigint, OUT period text,
                                 OUT period_total_fen bigint, OUT notes integer)
LANGUAGE plpgsql AS $$
DECLARE
    o orders%ROWTYPE;
    cr commission_ledger%ROWTYPE;
    lid bigint;
BEGIN
    SELECT * INTO o FROM orders WHERE id = p_order FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'no_order';
        RETURN;
    END IF;
    IF o.cancelled_at IS NOT NULL THEN
        outcome := 'already';
        RETURN;
    END IF;
    UPDATE orders SET cancelled_at = now(), cancel_reason = p_reason, cancelled_by = p_by
     WHERE id = p_order;
    SELECT * INTO STRICT cr FROM commission_ledger WHERE order_id = p_order AND kind = 'credit';
    INSERT INTO commission_ledger (order_id, kind, employee_id, team_id, product_code, period,
                                   order_day, amount_fen)
    VALUES (cr.order_id, 'reversal', cr.employee_id, cr.team_id, cr.product_code, cr.period,
            cr.order_day, -cr.amount_fen)
    RETURNING id INTO lid;
    INSERT INTO commission_splits (ledger_id, member_employee, member_msisdn, is_leader,
                                   amount_fen)
    SELECT lid, s.member_employee, s.member_msisdn, s.is_leader, -s.amount_fen
      FROM commission_splits s WHERE s.ledger_id = cr.id;
    outcome := 'ok';
    reversed_fen := -cr.amount_fen;
    period := cr.period;
    period_total_fen := erm_holder_total(cr.employee_id, cr.team_id, cr.period);
    notes := erm_queue_note(p_order, 'cancel', reversed_fen, period_total_fen);
END
$$;

-- QX<code> from P_CUSTOMER (as stored in orders): cancels their order of the code's product
-- within the product's window (cancel_days days after the order). Returns the reply TEXT and
-- OUTCOME: 'unknown' (no such code), 'no_order', 'already', 'expired', 'ok'.
CREATE FUNCTION erm_cancel_by_customer(p_customer text, p_code text,
                                       OUT outcome text, OUT text text)
LANGUAGE plpgsql AS $$
DECLARE
    c claims%ROWTYPE;
    pr products%ROWTYPE;
    o orders%ROWTYPE;
BEGIN
    SELECT * INTO c FROM claims WHERE code = p_code;
    IF NOT FOUND THEN
        outcome := 'unknown';
    ELSE
        SELECT * INTO STRICT pr FROM products WHERE code = c.product_code;
        SELECT * INTO o FROM orders
         WHERE customer = p_customer AND product_code = c.product_code AND code = p_code;
        IF NOT FOUND THEN
            outcome := 'no_order';
        ELSIF o.cancelled_at IS NOT NULL THEN
            outcome := 'already';
        ELSIF now() > o.created_at + make_interval(days => pr.cancel_days) THEN
            outcome := 'expired';
        ELSE
            SELECT x.outcome INTO outcome FROM erm_cancel_order(o.id, 'QX', 'customer') x;
        END IF;
    END IF;
    text := erm_text('qx_' || outcome, '{p}', pr.name, '{c}', p_code,
                     '{d}', pr.cancel_days::text);
END
$$;

-- ---- ranking -------------------------------------------------------------------------------

-- The holders of period P ranked by counted orders (placed in P, not cancelled): every
-- active employee and every team that held a code before P ended. RANK is 1 + the holders
-- with more orders (ties share a rank); AT_OR_BELOW counts the holders with as many orders
-- or fewer (the restriction rule's measure).
CREATE FUNCTION erm_ranking(p text)
RETURNS TABLE (employee_id text, team_id integer, holder text, name text, orders bigint,
               rank bigint, at_or_below bigint, holders bigint)
LANGUAGE sql STABLE AS $$
    WITH h AS (
        SELECT DISTINCT e.id AS employee_id, NULL::integer AS team_id, e.id AS holder, e.name
          FROM claims c JOIN employees e ON e.id = c.employee_id
         WHERE e.active AND c.claimed_at < erm_period_end(p)
        UNION ALL
        SELECT DISTINCT NULL, t.id, 'team:' || t.id, t.name
          FROM claims c JOIN teams t ON t.id = c.team_id
         WHERE c.claimed_at < erm_period_end(p)),
    o AS (
        SELECT o.employee_id, o.team_id, count(*) AS n FROM orders o
         WHERE o.created_at >= erm_period_start(p) AND o.created_at < erm_period_end(p)
           AND o.cancelled_at IS NULL
         GROUP BY o.employee_id, o.team_id),
    r AS (
        SELECT h.*, coalesce(o.n, 0) AS orders FROM h
          LEFT JOIN o ON o.employee_id IS NOT DISTINCT FROM h.employee_id
                     AND o.team_id IS NOT DISTINCT FROM h.team_id)
    SELECT r.employee_id, r.team_id, r.holder, r.name, r.orders,
           rank() OVER (ORDER BY r.orders DESC),
           count(*) OVER (ORDER BY r.orders RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           count(*) OVER ()
      FROM r
$$;

CREATE TABLE period_closes (
    period     text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    bottom_pct integer NOT NULL CHECK (bottom_pct BETWEEN 0 AND 100),
    holders    integer NOT NULL,
    restricted integer NOT NULL,
    closed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE period_ranking (
    period      text NOT NULL REFERENCES period_closes (period),
    employee_id text REFERENCES employees (id),
    team_id     integer REFERENCES teams (id),
    name        text NOT NULL,
    orders      bigint NOT NULL,
    rank        bigint NOT NULL,
    restricted  boolean NOT NULL,
    CHECK ((employee_id IS NULL) <> (team_id IS NULL)),
    UNIQUE (period, employee_id),
    UNIQUE (period, team_id)
);

-- Closes period P (ended) with the bottom P_BOTTOM percent restricted for the next one:
-- with n holders, k = floor(n * P_BOTTOM / 100); a holder is restricted when the holders
-- with as many orders or fewer number at most k, so a tie at the boundary is spared as a
-- whole (in the employee's favour). OUTCOME: 'open' (P has not ended), 'closed', or
-- 'already' (closed before: the stored result, nothing written; BOTTOM_PCT is the stored one).
CREATE FUNCTION erm_close_period(p text, p_bottom integer,
                                 OUT outcome text, OUT bottom_pct integer, OUT holders integer,
                                 OUT restricted integer)
LANGUAGE plpgsql AS $$
DECLARE
    k bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(4542285100004); -- 'ERM', migration 004: one close at a time
    SELECT c.bottom_pct, c.holders, c.restricted INTO bottom_pct, holders, restricted
      FROM period_closes c WHERE c.period = p;
    IF FOUND THEN
        outcome := 'already';
        RETURN;
    END IF;
    IF now() < erm_period_end(p) THEN
        outcome := 'open';
        RETURN;
    END IF;
    SELECT count(*) INTO holders FROM erm_ranking(p);
    k := (holders::bigint * p_bottom) / 100;
    INSERT INTO period_closes (period, bottom_pct, holders, restricted)
    VALUES (p, p_bottom, holders, 0);
    INSERT INTO period_ranking (period, employee_id, team_id, name, orders, rank, restricted)
    SELECT p, r.employee_id, r.team_id, r.name, r.orders, r.rank, r.at_or_below <= k
      FROM erm_ranking(p) r;
    SELECT count(*) INTO restricted FROM period_ranking r WHERE r.period = p AND r.restricted;
    UPDATE period_closes c SET restricted = erm_close_period.restricted WHERE c.period = p;
    outcome := 'closed';
    bottom_pct := p_bottom;
END
$$;

-- The holder (employee P_EMPLOYEE or team P_TEAM) is restricted by the ranking of the
-- period before the current one.
CREATE FUNCTION erm_holder_restricted(p_employee text, p_team integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM period_ranking r
                    WHERE r.period = erm_period_of(erm_period_start(erm_current_period())
                                                   - interval '1 day')
                      AND r.restricted
                      AND (r.employee_id = p_employee OR r.team_id = p_team))
$$;

-- The rule 002 left a place for: last period's ranking bars the employee's own claims.
CREATE OR REPLACE FUNCTION erm_claim_restricted(p_product text, p_employee text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT erm_holder_restricted(p_employee, NULL)
$$;

-- Hand-outs too: a manager's new code for a restricted holder is refused ('restricted'); a
-- code the holder already has is still 'held'. Everything else is 002's erm_claim_code.
ALTER FUNCTION erm_claim_code(text, text, integer, boolean) RENAME TO erm_claim_code_unranked;

CREATE FUNCTION erm_claim_code(p_product text, p_employee text, p_team integer, p_self boolean,
                               OUT outcome text, OUT code text, OUT seq integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT p_self AND erm_holder_restricted(p_employee, p_team)
       AND EXISTS (SELECT 1 FROM products p WHERE p.code = p_product AND p.status = 'active')
       AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.product_code = p_product
                          AND (c.employee_id = p_employee OR c.team_id = p_team)) THEN
        outcome := 'restricted';
        RETURN;
    END IF;
    SELECT b.outcome, b.code, b.seq INTO outcome, code, seq
      FROM erm_claim_code_unranked(p_product, p_employee, p_team, p_self) b;
END
$$;

-- ---- the employee's query (CX / 查询) -------------------------------------------------------

-- The reply to CX from P_MSISDN (national form): this period's orders, cancellations and net
-- commission per product the employee holds, the total and their rank among all holders,
-- then one line per team they are a member of. The same figures as `ermctl report` for the
-- period's days. OUTCOME: 'unknown' (not an active employee's number) or 'ok'.
CREATE FUNCTION erm_query_reply(p_msisdn text, OUT outcome text, OUT text text)
LANGUAGE plpgsql AS $$
DECLARE
    emp employees%ROWTYPE;
    per text := erm_current_period();
    lines text[];
    r record;
    tot record;
    rk record;
BEGIN
    SELECT * INTO emp FROM employees e WHERE e.msisdn = p_msisdn AND e.active;
    IF NOT FOUND THEN
        outcome := 'unknown';
        text := erm_text('cx_unknown', '{t}', per);
        RETURN;
    END IF;
    outcome := 'ok';
    lines := ARRAY[erm_text('cx_head', '{t}', per)];
    FOR r IN
        SELECT c.code, p.name,
               count(l.*) FILTER (WHERE l.kind = 'credit') AS n,
               count(l.*) FILTER (WHERE l.kind = 'reversal') AS x,
               coalesce(sum(l.amount_fen), 0)::bigint AS a
          FROM claims c JOIN products p ON p.code = c.product_code
          LEFT JOIN commission_ledger l ON l.employee_id = c.employee_id
                                       AND l.product_code = c.product_code AND l.period = per
         WHERE c.employee_id = emp.id
         GROUP BY c.code, p.name ORDER BY c.code
    LOOP
        lines := lines || erm_text('cx_line', '{p}', r.name, '{c}', r.code, '{n}', r.n::text,
                                   '{x}', r.x::text, '{a}', erm_yuan(r.a));
    END LOOP;
    SELECT * INTO rk FROM erm_ranking(per) k WHERE k.employee_id = emp.id;
    IF FOUND THEN
        SELECT count(*) FILTER (WHERE l.kind = 'credit') AS n,
               count(*) FILTER (WHERE l.kind = 'reversal') AS x,
               coalesce(sum(l.amount_fen), 0)::bigint AS a
          INTO tot FROM commission_ledger l WHERE l.employee_id = emp.id AND l.period = per;
        lines := lines || erm_text('cx_total', '{n}', tot.n::text, '{x}', tot.x::text,
                                   '{a}', erm_yuan(tot.a), '{r}', rk.rank::text,
                                   '{k}', rk.holders::text);
    END IF;
    FOR r IN
        SELECT t.id, t.name, k.rank, k.holders,
               (SELECT count(*) FROM commission_ledger l
                 WHERE l.team_id = t.id AND l.period = per AND l.kind = 'credit') AS n,
               (SELECT count(*) FROM commission_ledger l
                 WHERE l.team_id = t.id AND l.period = per AND l.kind = 'reversal') AS x,
               erm_holder_total(NULL, t.id, per) AS a
          FROM teams t JOIN erm_ranking(per) k ON k.team_id = t.id
         WHERE t.leader_id = emp.id
            OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id
                          AND m.employee_id = emp.id)
         ORDER BY t.name
    LOOP
        lines := lines || erm_text('cx_team', '{h}', r.name, '{n}', r.n::text, '{x}', r.x::text,
                                   '{a}', erm_yuan(r.a), '{r}', r.rank::text,
                                   '{k}', r.holders::text);
    END LOOP;
    IF array_length(lines, 1) = 1 THEN
        text := erm_text('cx_none', '{t}', per);
    ELSE
        text := array_to_string(lines, E'\n');
    END IF;
END
$$;
