-- 005_batch.sql: group commit of orders (issue 6). The daemon gathers the order MOs that
-- arrive while a transaction is in flight and places them all with one call of
-- erm_place_orders() in the next transaction (storage/orders.c), then inserts their replies
-- with one multi-row INSERT and commits: a few round trips per batch instead of five per MO.
--
-- Each MO of a batch takes the same steps as the single order transaction: its dedupe step
-- (erm_mo_fresh, schema/003_delivery.sql) and then erm_place_order(), which is called as it
-- is (it may grow columns or side effects in later migrations), never copied here.

-- One MO of a batch: its dedupe step, then the order unless it is a redelivery. STATUS is
-- 'fresh' (OUTCOME and PRODUCT_NAME are erm_place_order's) or 'redelivered' (nothing done).
-- With P_ALONE an error undoes this MO's steps only (a subtransaction of its own) and comes
-- back as STATUS 'error' with the SQL state in OUTCOME; without, it is raised.
CREATE FUNCTION erm_place_orders_item(p_key text, p_link text, p_seq bigint, p_window_s integer,
                                      p_customer text, p_code text, p_channel text,
                                      p_alone boolean,
                                      OUT status text, OUT outcome text, OUT product_name text)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_alone THEN
        BEGIN
            SELECT i.status, i.outcome, i.product_name INTO status, outcome, product_name
              FROM erm_place_orders_item(p_key, p_link, p_seq, p_window_s, p_customer, p_code,
                                         p_channel, false) AS i;
        EXCEPTION WHEN OTHERS THEN
            status := 'error';
            outcome := SQLSTATE;
            product_name := NULL;
        END;
        RETURN;
    END IF;
    IF NOT erm_mo_fresh(p_key, p_link, p_seq, p_window_s) THEN
        status := 'redelivered';
        RETURN;
    END IF;
    status := 'fresh';
    SELECT o.outcome, o.product_name INTO outcome, product_name
      FROM erm_place_order(p_customer, p_code, p_channel) AS o;
END
$$;

-- The MOs of a batch, element I of every array being MO I. One row per MO, ITEM = I, with
-- erm_place_orders_item()'s STATUS, OUTCOME and PRODUCT_NAME: a failed MO ('error') has its
-- own steps undone, its batch-mates keep theirs. The whole batch first runs in one
-- subtransaction (one subtransaction id, the cheap path); only when something in it fails
-- is it run again with each MO in a subtransaction of its own, so a bad MO costs its batch
-- a second pass, never its place.
CREATE FUNCTION erm_place_orders(p_keys text[], p_links text[], p_seqs bigint[],
                                 p_windows integer[], p_customers text[], p_codes text[],
                                 p_channel text)
    RETURNS TABLE (item integer, status text, outcome text, product_name text)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(array_length(p_keys, 1), 0);
    alone boolean := false;
    st text[];
    oc text[];
    pn text[];
    r record;
BEGIN
    LOOP
        BEGIN
            FOR i IN 1 .. n LOOP
                SELECT * INTO r FROM erm_place_orders_item(p_keys[i], p_links[i], p_seqs[i],
                                                           p_windows[i], p_customers[i],
                                                           p_codes[i], p_channel, alone);
                st[i] := r.status;
                oc[i] := r.outcome;
                pn[i] := r.product_name;
            END LOOP;
            EXIT;
        EXCEPTION WHEN OTHERS THEN
            IF alone THEN
                RAISE; -- not an MO's error: the batch fails (the daemon retries one by one)
            END IF;
            alone := true; -- everything above is undone: again, each MO on its own
        END;
    END LOOP;
    RETURN QUERY SELECT g, st[g], oc[g], pn[g] FROM generate_series(1, n) AS g;
END
$$;
