-- 001_init.sql: the first schema of ermgw: the product pool, employees, their claimed codes,
-- the customers' orders and the outbox of every outgoing SMS, plus erm_place_order(), the
-- server-side half of the order transaction (storage/orders.c).
--
-- Applied by `ermctl migrate` inside one transaction together with its schema_migrations
-- row: no BEGIN/COMMIT here. Money is integer fen (bigint), never floating point.

-- The product pool. A product's SMS codes are its code followed by a zero-padded sequence
-- of WIDTH digits (the digits of QUOTA, see core/codeplan.h).
CREATE TABLE products (
    code           text PRIMARY KEY CHECK (code ~ '^[1-9][0-9]{0,7}$'),
    name           text NOT NULL CHECK (name <> ''),
    intro          text NOT NULL DEFAULT '',
    fee_text       text NOT NULL DEFAULT '',
    commission_fen bigint NOT NULL CHECK (commission_fen >= 0),
    quota          integer NOT NULL CHECK (quota BETWEEN 1 AND 99999),
    width          integer NOT NULL,
    service        text NOT NULL DEFAULT '10086' CHECK (service ~ '^[0-9]{3,20}$'),
    status         text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'active', 'retired')),
    starts_on      date,
    ends_on        date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (width = length(quota::text)),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);

-- Employees, authenticated by their registered mobile number (11 digits, national form).
CREATE TABLE employees (
    id         text PRIMARY KEY CHECK (id <> ''),
    name       text NOT NULL CHECK (name <> ''),
    msisdn     text NOT NULL UNIQUE CHECK (msisdn ~ '^1[3-9][0-9]{9}$'),
    dept       text NOT NULL DEFAULT '',
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One employee's code of one product: the SEQ-th claim of that product. CODE is the SMS code
-- (product code + sequence), unique across the whole pool thanks to the clash rule.
CREATE TABLE claims (
    code         text PRIMARY KEY CHECK (code ~ '^[0-9]+$'),
    product_code text NOT NULL REFERENCES products (code),
    seq          integer NOT NULL CHECK (seq >= 1),
    employee_id  text NOT NULL REFERENCES employees (id),
    claimed_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_code, seq),
    UNIQUE (product_code, employee_id)
);
CREATE INDEX claims_employee ON claims (employee_id);

-- Orders: one customer orders one product once.
CREATE TABLE orders (
    id           bigserial PRIMARY KEY,
    customer     text NOT NULL CHECK (customer <> ''),
    code         text NOT NULL REFERENCES claims (code),
    employee_id  text NOT NULL REFERENCES employees (id),
    product_code text NOT NULL REFERENCES products (code),
    channel      text NOT NULL CHECK (channel IN ('sms', 'phone')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer, product_code)
);
CREATE INDEX orders_employee ON orders (employee_id, created_at);
CREATE INDEX orders_product ON orders (product_code, created_at);

-- Every outgoing SMS is a row first (see storage/outbox.h for the states). DEST and SOURCE
-- are SMPP addresses (at most 20 characters); MESSAGE_IDS are the SMSC's ids, one per part.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    dest        text NOT NULL CHECK (length(dest) BETWEEN 1 AND 20),
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 20),
    kind        text NOT NULL,
    text        text NOT NULL,
    state       text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    tries       integer NOT NULL DEFAULT 0,
    message_ids text,
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
-- The sender takes queued rows oldest first; recovery looks for rows left sending.
CREATE INDEX outbox_queued ON outbox (id) WHERE state = 'queued';
CREATE INDEX outbox_sending ON outbox (id) WHERE state = 'sending';

-- The order of CUSTOMER for SMS code P_CODE over P_CHANNEL, race-safe under concurrent
-- orders (ON CONFLICT on the one-customer-one-product key). OUTCOME is one of
--   'unknown'  no claim has this code (PRODUCT_NAME is NULL)
--   'inactive' the code's product is not active today (draft, retired, outside its dates)
--   'dup'      this customer already ordered this product: nothing stored
--   'ok'       the order is stored as ORDER_ID
-- Campaign dates are compared with current_date, i.e. in the session's TimeZone (set the
-- database's timezone, e.g. Asia/Shanghai, with ALTER DATABASE ... SET timezone).
CREATE FUNCTION erm_place_order(p_customer text, p_code text, p_channel text,
                                OUT outcome text, OUT product_name text, OUT order_id bigint)
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
    IF p.status <> 'active'
       OR (p.starts_on IS NOT NULL AND current_date < p.starts_on)
       OR (p.ends_on IS NOT NULL AND current_date > p.ends_on) THEN
        outcome := 'inactive';
        RETURN;
    END IF;
    INSERT INTO orders (customer, code, employee_id, product_code, channel)
    VALUES (p_customer, c.code, c.employee_id, c.product_code, p_channel)
    ON CONFLICT (customer, product_code) DO NOTHING
    RETURNING id INTO order_id;
    IF order_id IS NULL THEN
        outcome := 'dup';
    ELSE
        outcome := 'ok';
    END IF;
END
$$;
