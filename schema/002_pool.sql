-- 002_pool.sql: the pool grows holders other than one employee and the hand-out's paper
-- trail: virtual teams (虚拟团队) and their members, codes held by a team, orders counted to
-- the team, opt-outs (退订) and the promo pushes sent for each code. The server-side rules
-- shared by ermctl and the daemon live here as functions:
--   erm_claim_code()      allocates a holder's code of a product (serialised per product)
--   erm_claim_by_msisdn() the self-claim by SMS: authenticates the sender's number first
--   erm_claim_restricted() the ranking rule's place (a later migration fills it)
--   erm_holder_numbers()  where a code's promo push goes
--   erm_queue_promo()     queues that push, respecting opt-outs
--   erm_place_order()     replaced: a leaver's code is 'invalid', campaign dates have their
--                         own outcomes
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

-- ---- people ---------------------------------------------------------------------------

-- A team holds codes like a person; its LEADER is an employee and its first member.
CREATE TABLE teams (
    id         serial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name <> ''),
    leader_id  text NOT NULL REFERENCES employees (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A member is an employee (their number and name come from employees, so they follow an
-- import) or somebody who is not one (relatives, friends), with a number and a name.
CREATE TABLE team_members (
    team_id     integer NOT NULL REFERENCES teams (id),
    employee_id text REFERENCES employees (id),
    msisdn      text CHECK (msisdn ~ '^1[3-9][0-9]{9}$'),
    name        text CHECK (name <> ''),
    added_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((employee_id IS NOT NULL AND msisdn IS NULL AND name IS NULL)
           OR (employee_id IS NULL AND msisdn IS NOT NULL AND name IS NOT NULL)),
    UNIQUE (team_id, employee_id),
    UNIQUE (team_id, msisdn)
);
CREATE INDEX team_members_employee ON team_members (employee_id);

-- Hand-out by department scans it.
CREATE INDEX employees_dept ON employees (dept);

-- An import may swap two employees' numbers in one go: the uniqueness of the number is
-- then checked at COMMIT (SET CONSTRAINTS ... DEFERRED), not row by row. Same name, so
-- callers that read the constraint name of a duplicate keep working.
ALTER TABLE employees DROP CONSTRAINT employees_msisdn_key,
    ADD CONSTRAINT employees_msisdn_key UNIQUE (msisdn) DEFERRABLE INITIALLY IMMEDIATE;

-- ---- codes and orders held by an employee or a team -------------------------------------

ALTER TABLE claims ALTER COLUMN employee_id DROP NOT NULL,
    ADD COLUMN team_id integer REFERENCES teams (id),
    ADD CONSTRAINT claims_one_holder CHECK ((employee_id IS NULL) <> (team_id IS NULL)),
    ADD CONSTRAINT claims_product_code_team_id_key UNIQUE (product_code, team_id);
CREATE INDEX claims_team ON claims (team_id);

ALTER TABLE orders ALTER COLUMN employee_id DROP NOT NULL,
    ADD COLUMN team_id integer REFERENCES teams (id),
    ADD CONSTRAINT orders_one_holder CHECK ((employee_id IS NULL) <> (team_id IS NULL));
CREATE INDEX orders_team ON orders (team_id, created_at);

-- ---- opt-outs and pushes ------------------------------------------------------------------

-- TD / 退订 from MSISDN (national 11-digit form for mainland mobiles, else as received) at
-- AT (the first time; a repeat changes nothing). Marketing pushes ('promo' outbox rows)
-- are not queued to it any more; transactional replies still go.
CREATE TABLE optouts (
    msisdn text PRIMARY KEY CHECK (length(msisdn) BETWEEN 1 AND 20),
    at     timestamptz NOT NULL DEFAULT now()
);

-- One promo push per code and number: OUTBOX_ID is its outbox row, NULL when it was not
-- sent because the number had opted out. "Who got what" for a manager.
CREATE TABLE promo_pushes (
    id        bigserial PRIMARY KEY,
    code      text NOT NULL REFERENCES claims (code),
    msisdn    text NOT NULL,
    outbox_id bigint REFERENCES outbox (id),
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX promo_pushes_code ON promo_pushes (code);

-- ---- functions ----------------------------------------------------------------------------

-- The ranking rule's place: 1 when last period's ranking bars P_EMPLOYEE from claiming
-- P_PRODUCT by themselves. No ranking exists yet, so nobody is barred; the ranking issue
-- replaces this function (CREATE OR REPLACE, same signature).
CREATE FUNCTION erm_claim_restricted(p_product text, p_employee text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT false
$$;

-- Gives the holder (P_EMPLOYEE or P_TEAM, exactly one) the next code of P_PRODUCT, or the
-- one it already holds. Claims of one product are serialised by the lock on its row, so
-- two sessions racing for the last code get one winner and one 'full'. P_SELF is true for
-- an employee's own claim by SMS: only an active product, and the ranking rule applies;
-- false for a manager (ermctl): a draft can be claimed to test it, nobody is barred.
-- OUTCOME, checked in this order:
--   'no_product'      no such product
--   'no_holder'       no such employee or team
--   'retired'         the product is retired
--   'draft'           the product is a draft and P_SELF
--   'ended'           the campaign's last day has passed
--   'holder_inactive' the employee is deactivated
--   'held'            the holder already has CODE (SEQ): nothing written
--   'restricted'      barred by erm_claim_restricted() (P_SELF only)
--   'full'            every code of the quota is taken
--   'new'             CODE (SEQ) is the holder's from now on
-- CODE is the product code followed by SEQ zero-padded to the product's width, the code
-- plan of core/codeplan.h (codeplan_sms_code); callers check it against core.
CREATE FUNCTION erm_claim_code(p_product text, p_employee text, p_team integer, p_self boolean,
                               OUT outcome text, OUT code text, OUT seq integer)
LANGUAGE plpgsql AS $$
DECLARE
    p products%ROWTYPE;
    holder_active boolean;
BEGIN
    IF (p_employee IS NULL) = (p_team IS NULL) THEN
        RAISE EXCEPTION 'erm_claim_code: give exactly one of employee and team';
    END IF;
    SELECT * INTO p FROM products WHERE products.code = p_product FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'no_product';
        RETURN;
    END IF;
    IF p_employee IS NOT NULL THEN
        SELECT e.active INTO holder_active FROM employees e WHERE e.id = p_employee;
    ELSE
        SELECT true INTO holder_active FROM teams t WHERE t.id = p_team;
    END IF;
    IF NOT FOUND THEN
        outcome := 'no_holder';
    ELSIF p.status = 'retired' THEN
        outcome := 'retired';
    ELSIF p.status = 'draft' AND p_self THEN
        outcome := 'draft';
    ELSIF p.ends_on IS NOT NULL AND current_date > p.ends_on THEN
        outcome := 'ended';
    ELSIF NOT holder_active THEN
        outcome := 'holder_inactive';
    END IF;
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;

    SELECT c.code, c.seq INTO code, seq FROM claims c
     WHERE c.product_code = p_product
       AND (c.employee_id = p_employee OR c.team_id = p_team);
    IF FOUND THEN
        outcome := 'held';
        RETURN;
    END IF;
    IF p_self AND erm_claim_restricted(p_product, p_employee) THEN
        outcome := 'restricted';
        RETURN;
    END IF;
    SELECT coalesce(max(c.seq), 0) + 1 INTO seq FROM claims c WHERE c.product_code = p_product;
    IF seq > p.quota THEN
        outcome := 'full';
        seq := NULL;
        RETURN;
    END IF;
    code := p_product || lpad(seq::text, p.width, '0');
    INSERT INTO claims (code, product_code, seq, employee_id, team_id)
    VALUES (code, p_product, seq, p_employee, p_team);
    outcome := 'new';
END
$$;

-- The self-claim by SMS: the employee is the one whose registered number is P_MSISDN
-- (national 11-digit form). OUTCOME is 'unknown_number' when no employee has it, else
-- erm_claim_code()'s with P_SELF. The product's texts come along for the reply and the
-- promo push (NULL when there is no such product).
CREATE FUNCTION erm_claim_by_msisdn(p_msisdn text, p_product text,
                                    OUT outcome text, OUT code text, OUT product_name text,
                                    OUT intro text, OUT fee_text text, OUT service text)
LANGUAGE plpgsql AS $$
DECLARE
    emp_id text;
BEGIN
    SELECT e.id INTO emp_id FROM employees e WHERE e.msisdn = p_msisdn;
    IF NOT FOUND THEN
        outcome := 'unknown_number';
        RETURN;
    END IF;
    SELECT c.outcome, c.code INTO outcome, code FROM erm_claim_code(p_product, emp_id, NULL, true) c;
    SELECT p.name, p.intro, p.fee_text, p.service INTO product_name, intro, fee_text, service
      FROM products p WHERE p.code = p_product;
END
$$;

-- The numbers a code's promo push goes to: the employee who holds it (when active), or
-- every member of the team that holds it (employees while active, and the others).
CREATE FUNCTION erm_holder_numbers(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT e.msisdn FROM claims c JOIN employees e ON e.id = c.employee_id
     WHERE c.code = p_code AND e.active
    UNION
    SELECT coalesce(e.msisdn, m.msisdn)
      FROM claims c JOIN team_members m ON m.team_id = c.team_id
      LEFT JOIN employees e ON e.id = m.employee_id
     WHERE c.code = p_code AND (m.employee_id IS NULL OR e.active)
$$;

-- Queues the promo push P_TEXT (rendered by core/promo.c for this code) from P_SOURCE to
-- each of the code's numbers, except those that opted out; records each in promo_pushes.
-- QUEUED and SKIPPED (opted out) count them.
CREATE FUNCTION erm_queue_promo(p_code text, p_source text, p_text text,
                                OUT queued integer, OUT skipped integer)
LANGUAGE plpgsql AS $$
DECLARE
    num text;
    row_id bigint;
BEGIN
    queued := 0;
    skipped := 0;
    FOR num IN SELECT n FROM erm_holder_numbers(p_code) AS n ORDER BY n LOOP
        row_id := NULL;
        IF EXISTS (SELECT 1 FROM optouts o WHERE o.msisdn = num) THEN
            skipped := skipped + 1;
        ELSE
            INSERT INTO outbox (dest, source, kind, text)
            VALUES (num, p_source, 'promo', p_text)
            RETURNING id INTO row_id;
            queued := queued + 1;
        END IF;
        INSERT INTO promo_pushes (code, msisdn, outbox_id) VALUES (p_code, num, row_id);
    END LOOP;
END
$$;

-- The order of CUSTOMER for SMS code P_CODE over P_CHANNEL, race-safe under concurrent
-- orders (ON CONFLICT on the one-customer-one-product key), counted to the code's holder
-- (employee or team). OUTCOME is one of
--   'unknown'     no claim has this code (PRODUCT_NAME is NULL)
--   'inactive'    the code's product is not active (draft or retired)
--   'invalid'     the code's employee has left (deactivated): it counts no new orders
--   'not_started' the campaign's first day is still to come
--   'ended'       the campaign's last day has passed
--   'dup'         this customer already ordered this product: nothing stored
--   'ok'          the order is stored as ORDER_ID
-- Campaign dates are compared with current_date, i.e. in the session's TimeZone (set the
-- database's timezone, e.g. Asia/Shanghai, with ALTER DATABASE ... SET timezone).
CREATE OR REPLACE FUNCTION erm_place_order(p_customer text, p_code text, p_channel text,
                                           OUT outcome text, OUT product_name text,
                                           OUT order_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c claims%ROWTYPE;
    p products%ROWTYPE;
BEGIN
    SELECT * INTO c FROM claims WHERE code = p_code;
    IF NOT FOUND THEN
        outcome := 'unknown';
        RETURN;
    END IF;
    SELECT * INTO p FROM products WHERE code = c.product_code;
    product_name := p.name;
    IF p.status <> 'active' THEN
        outcome := 'inactive';
    ELSIF c.employee_id IS NOT NULL
          AND NOT (SELECT e.active FROM employees e WHERE e.id = c.employee_id) THEN
        outcome := 'invalid';
    ELSIF p.starts_on IS NOT NULL AND current_date < p.starts_on THEN
        outcome := 'not_started';
    ELSIF p.ends_on IS NOT NULL AND current_date > p.ends_on THEN
        outcome := 'ended';
    END IF;
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    INSERT INTO orders (customer, code, employee_id, team_id, product_code, channel)
    VALUES (p_customer, c.code, c.employee_id, c.team_id, c.product_code, p_channel)
    ON CONFLICT (customer, product_code) DO NOTHING
    RETURNING id INTO order_id;
    IF order_id IS NULL THEN
        outcome := 'dup';
    ELSE
        outcome := 'ok';
    END IF;
END
$$;
