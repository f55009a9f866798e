-- 003_delivery.sql: what becomes of a message after it crosses the bind, both ways.
--
-- Out: each part's SMSC message id and its delivery receipt (outbox_parts); receipts that
-- came before their submit_sm_resp was recorded wait in receipts_pending and are applied
-- when it is; an outbox row's DELIVERY is set once every part has a final receipt.
-- In: parts of concatenated MOs wait in mo_parts for the rest (they are acknowledged once
-- stored: the SMSC forgets them, so the database must not); mo_log remembers the MOs
-- handled, so an MO the SMSC delivers again (it never saw our deliver_sm_resp) is known.
-- The daemon's side is storage/receipts.c, storage/mo_log.c and storage/mo_parts.c.
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

-- ---- out: parts and receipts ------------------------------------------------------------

-- DELIVERY: NULL until every part has a final receipt; then 'DELIVRD' when every part was
-- delivered, else the stat of the first part (by part number) that was not.
ALTER TABLE outbox ADD COLUMN delivery text, ADD COLUMN delivered_at timestamptz;

-- One part of a sent outbox row. MESSAGE_ID is the SMSC's id as submit_sm_resp gave it;
-- ID_TEXT, ID_DEC and ID_HEX are its three forms of core/receipt.h (receipt_id_norm): a
-- receipt looks for the one the SMSC's way of writing ids asks for (storage/receipts.h).
-- An SMSC may reuse ids after a long while (or a restart): no uniqueness, the part still
-- waiting for its receipt wins, then the newest.
CREATE TABLE outbox_parts (
    outbox_id  bigint NOT NULL REFERENCES outbox (id),
    part       integer NOT NULL CHECK (part >= 1),
    message_id text NOT NULL CHECK (message_id <> ''),
    id_text    text NOT NULL,
    id_dec     text,
    id_hex     text,
    stat       text,              -- the latest receipt's stat (DELIVRD, UNDELIV, ...)
    final      boolean NOT NULL DEFAULT false,
    err        text,
    done_date  text,              -- as the receipt says it (YYMMDDhhmm, the SMSC's clock)
    receipt_at timestamptz,
    PRIMARY KEY (outbox_id, part)
);
CREATE INDEX outbox_parts_text ON outbox_parts (id_text);
CREATE INDEX outbox_parts_dec ON outbox_parts (id_dec) WHERE id_dec IS NOT NULL;
CREATE INDEX outbox_parts_hex ON outbox_parts (id_hex) WHERE id_hex IS NOT NULL;

-- A receipt that no part matched (yet): its submit_sm_resp is still on its way, or being
-- recorded by a transaction not committed yet. It matches a part whose MATCH_COL ('text',
-- 'dec' or 'hex': id_text, id_dec or id_hex) equals MATCH_KEY. Kept two days
-- (erm_housekeeping).
CREATE TABLE receipts_pending (
    id          bigserial PRIMARY KEY,
    message_id  text NOT NULL,
    match_col   text NOT NULL CHECK (match_col IN ('text', 'dec', 'hex')),
    match_key   text NOT NULL,
    stat        text NOT NULL,
    final       boolean NOT NULL,
    err         text,
    done_date   text,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_pending_key ON receipts_pending (match_col, match_key);
CREATE INDEX receipts_pending_received ON receipts_pending (received_at);

-- Receipts and part records take this transaction lock first, so a receipt and the record
-- of its part, committed by two gateways at once, cannot both miss each other.
CREATE FUNCTION erm_receipts_lock() RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(4542285100003)  -- 'ERM', migration 003
$$;

-- Applies a receipt to one part: a final stat is never overwritten (a late ENROUTE or the
-- SMSC's second copy of a receipt changes nothing). Returns true when the part changed.
CREATE FUNCTION erm_part_receipt(p_outbox_id bigint, p_part integer, p_stat text,
                                 p_final boolean, p_err text, p_done text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox_parts SET stat = p_stat, final = p_final, err = p_err, done_date = p_done,
                            receipt_at = now()
     WHERE outbox_id = p_outbox_id AND part = p_part AND NOT final;
    RETURN FOUND;
END
$$;

-- Sets the row's DELIVERY once every part is final; returns it (NULL while some part is
-- not, or when it was set before).
CREATE FUNCTION erm_outbox_settle(p_outbox_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_delivery text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM outbox_parts WHERE outbox_id = p_outbox_id)
       OR EXISTS (SELECT 1 FROM outbox_parts WHERE outbox_id = p_outbox_id AND NOT final) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce((SELECT stat FROM outbox_parts
                      WHERE outbox_id = p_outbox_id AND stat <> 'DELIVRD'
                      ORDER BY part LIMIT 1), 'DELIVRD')
      INTO v_delivery;
    UPDATE outbox SET delivery = v_delivery, delivered_at = now(), updated_at = now()
     WHERE id = p_outbox_id AND delivery IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN v_delivery;
END
$$;

-- A receipt for the part whose P_COL form of its id is P_KEY. OUTCOME is one of
--   'pending'  no part has the id: kept in receipts_pending until one does
--   'dup'      the part already had a final receipt: nothing changed
--   'applied'  the part took the stat; the row still waits for other parts
--   'settled'  the part took it and the row's DELIVERY is now set (DELIVERY)
CREATE FUNCTION erm_apply_receipt(p_message_id text, p_col text, p_key text, p_stat text,
                                  p_final boolean, p_err text, p_done text,
                                  OUT outcome text, OUT outbox_id bigint, OUT part integer,
                                  OUT delivery text)
LANGUAGE plpgsql AS $$
DECLARE
    pt outbox_parts%ROWTYPE;
BEGIN
    PERFORM erm_receipts_lock();
    SELECT * INTO pt FROM outbox_parts p
     WHERE (p_col = 'text' AND p.id_text = p_key) OR (p_col = 'dec' AND p.id_dec = p_key)
        OR (p_col = 'hex' AND p.id_hex = p_key)
     ORDER BY p.final, p.outbox_id DESC
     LIMIT 1;
    IF NOT FOUND THEN
        INSERT INTO receipts_pending (message_id, match_col, match_key, stat, final, err,
                                      done_date)
        VALUES (p_message_id, p_col, p_key, p_stat, p_final, p_err, p_done);
        outcome := 'pending';
        RETURN;
    END IF;
    outbox_id := pt.outbox_id;
    part := pt.part;
    IF NOT erm_part_receipt(pt.outbox_id, pt.part, p_stat, p_final, p_err, p_done) THEN
        outcome := 'dup';
        RETURN;
    END IF;
    delivery := erm_outbox_settle(pt.outbox_id);
    outcome := CASE WHEN delivery IS NULL THEN 'applied' ELSE 'settled' END;
END
$$;

-- Records part P_PART of a sent row and applies the receipts that waited for its id (a final
-- one is never overwritten, so their order hardly matters). Returns how many were applied.
-- The caller runs erm_outbox_settle() once every part of the row is recorded.
CREATE FUNCTION erm_record_part(p_outbox_id bigint, p_part integer, p_message_id text,
                                p_text text, p_dec text, p_hex text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r receipts_pending%ROWTYPE;
    applied integer := 0;
BEGIN
    PERFORM erm_receipts_lock();
    INSERT INTO outbox_parts (outbox_id, part, message_id, id_text, id_dec, id_hex)
    VALUES (p_outbox_id, p_part, p_message_id, p_text, p_dec, p_hex);
    FOR r IN DELETE FROM receipts_pending q
              WHERE (q.match_col = 'text' AND q.match_key = p_text)
                 OR (q.match_col = 'dec' AND q.match_key = p_dec)
                 OR (q.match_col = 'hex' AND q.match_key = p_hex)
          RETURNING q.* LOOP
        PERFORM erm_part_receipt(p_outbox_id, p_part, r.stat, r.final, r.err, r.done_date);
        applied := applied + 1;
    END LOOP;
    RETURN applied;
END
$$;

-- ---- in: concatenated parts and redeliveries --------------------------------------------

-- MOs handled, by key (core/mokey.h), with the bind (LINK: "<gateway instance>:<link>") and
-- deliver_sm sequence number they came with. Kept for the dedupe window (erm_housekeeping).
CREATE TABLE mo_log (
    key         text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
    link        text NOT NULL,
    seq         bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mo_log_received ON mo_log (received_at);

-- A part of a concatenated MO waiting for the others. A message is (SOURCE, DEST, REF,
-- TOTAL) with REF as core/concat.h makes it; BODY is the part's text bytes, UDH left out.
-- KEY, LINK and SEQ go to mo_log when the message is handled.
CREATE TABLE mo_parts (
    source      text NOT NULL,
    dest        text NOT NULL,
    ref         integer NOT NULL,
    total       smallint NOT NULL CHECK (total BETWEEN 2 AND 255),
    seqnum      smallint NOT NULL CHECK (seqnum BETWEEN 1 AND total),
    data_coding smallint NOT NULL,
    body        bytea NOT NULL,
    key         text NOT NULL,
    link        text NOT NULL,
    seq         bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, dest, ref, total, seqnum)
);
CREATE INDEX mo_parts_received ON mo_parts (received_at);

-- Is the MO with P_KEY, on P_LINK with sequence P_SEQ, the SMSC's redelivery of one handled
-- within the last P_WINDOW_S seconds? Yes when the earlier one came on another link (ours
-- was lost with it) or on this link with the same sequence number (the SMSC resent it);
-- the same bytes again on the same link with a new sequence number are the customer's own
-- second message. A NULL P_LINK is a part of a long message: its bytes carry the message's
-- reference, which a phone draws anew for each message, so the same bytes again are a
-- redelivery however they come. True means redelivered.
CREATE FUNCTION erm_mo_redelivered(p_key text, p_link text, p_seq bigint, p_window_s integer)
    RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM mo_log
                    WHERE key = p_key
                      AND received_at >= now() - make_interval(secs => p_window_s)
                      AND (p_link IS NULL OR link <> p_link OR seq = p_seq))
$$;

-- The dedupe step every MO transaction takes first (storage/mo_log.c): false when the MO
-- is a redelivery (nothing more to do), true when it is to be handled, and then it is
-- logged, in the same transaction as what it causes. A concurrent transaction with the
-- same key waits on the key's index entry and then sees the first one's row.
CREATE FUNCTION erm_mo_fresh(p_key text, p_link text, p_seq bigint, p_window_s integer)
    RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mo_log (key, link, seq) VALUES (p_key, p_link, p_seq)
    ON CONFLICT (key) DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    IF erm_mo_redelivered(p_key, p_link, p_seq, p_window_s) THEN
        RETURN false;
    END IF;
    UPDATE mo_log SET link = p_link, seq = p_seq, received_at = now() WHERE key = p_key;
    RETURN true;
END
$$;

-- Adds a part (a redelivered one changes nothing) and says what now. OUTCOME is
--   'dup'      the part belongs to a message handled already (erm_mo_redelivered)
--   'stored'   the message still lacks parts
--   'complete' every part is here: one row per part (SEQNUM order) with its BODY
-- Serialised per message, so two parts arriving at once on two gateways cannot both see
-- the message incomplete.
CREATE FUNCTION erm_mo_part_add(p_source text, p_dest text, p_ref integer, p_total smallint,
                                p_seqnum smallint, p_data_coding smallint, p_body bytea,
                                p_key text, p_link text, p_seq bigint, p_window_s integer)
    RETURNS TABLE (outcome text, seqnum smallint, data_coding smallint, body bytea)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(p_source), hashtext(p_dest || '/' || p_ref));
    IF erm_mo_redelivered(p_key, NULL, p_seq, p_window_s) THEN
        RETURN QUERY SELECT 'dup'::text, NULL::smallint, NULL::smallint, NULL::bytea;
        RETURN;
    END IF;
    INSERT INTO mo_parts (source, dest, ref, total, seqnum, data_coding, body, key, link, seq)
    VALUES (p_source, p_dest, p_ref, p_total, p_seqnum, p_data_coding, p_body, p_key, p_link,
            p_seq)
    ON CONFLICT DO NOTHING;
    IF (SELECT count(*) FROM mo_parts m
         WHERE m.source = p_source AND m.dest = p_dest AND m.ref = p_ref
           AND m.total = p_total) < p_total THEN
        RETURN QUERY SELECT 'stored'::text, NULL::smallint, NULL::smallint, NULL::bytea;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'complete'::text, m.seqnum, m.data_coding, m.body FROM mo_parts m
                  WHERE m.source = p_source AND m.dest = p_dest AND m.ref = p_ref
                    AND m.total = p_total
                  ORDER BY m.seqnum;
END
$$;

-- Takes the parts of a message for the transaction that handles it: deletes them and logs
-- their keys in mo_log, so a part the SMSC delivers again later is known. Returns how many
-- parts there were (0: another transaction handled the message first).
CREATE FUNCTION erm_mo_group_take(p_source text, p_dest text, p_ref integer, p_total smallint)
    RETURNS integer
LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM mo_parts
                   WHERE source = p_source AND dest = p_dest AND ref = p_ref
                     AND total = p_total
               RETURNING key, link, seq),
         logged AS (INSERT INTO mo_log (key, link, seq) SELECT key, link, seq FROM gone
                    ON CONFLICT (key) DO UPDATE
                    SET link = EXCLUDED.link, seq = EXCLUDED.seq, received_at = now())
    SELECT count(*)::integer FROM gone
$$;

-- The parts of messages whose first part came P_TIMEOUT_S seconds ago or more, at most
-- P_LIMIT messages, oldest first: their missing parts are given up on.
CREATE FUNCTION erm_mo_parts_due(p_timeout_s integer, p_limit integer)
    RETURNS TABLE (source text, dest text, ref integer, total smallint, seqnum smallint,
                   data_coding smallint, body bytea)
LANGUAGE sql STABLE AS $$
    WITH due AS (SELECT m.source, m.dest, m.ref, m.total, min(m.received_at) AS first_at
                   FROM mo_parts m
                  GROUP BY m.source, m.dest, m.ref, m.total
                 HAVING min(m.received_at) <= now() - make_interval(secs => p_timeout_s)
                  ORDER BY first_at
                  LIMIT p_limit)
    SELECT m.source, m.dest, m.ref, m.total, m.seqnum, m.data_coding, m.body
      FROM mo_parts m JOIN due USING (source, dest, ref, total)
     ORDER BY due.first_at, m.source, m.dest, m.ref, m.total, m.seqnum
$$;

-- Seconds until the oldest waiting message is due (0 when one is), NULL when none waits.
CREATE FUNCTION erm_mo_parts_next_due(p_timeout_s integer) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT greatest(0, extract(epoch FROM min(received_at)
                                          + make_interval(secs => p_timeout_s) - now()))::float8
      FROM mo_parts
$$;

-- Forgets MOs older than the dedupe window and receipts that waited two days for a part
-- that never came (a row resent after a crash leaves its first ids unrecorded).
CREATE FUNCTION erm_housekeeping(p_window_s integer, OUT mo_logs bigint,
                                 OUT receipts bigint)
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mo_log WHERE received_at < now() - make_interval(secs => p_window_s);
    GET DIAGNOSTICS mo_logs = ROW_COUNT;
    DELETE FROM receipts_pending WHERE received_at < now() - interval '2 days';
    GET DIAGNOSTICS receipts = ROW_COUNT;
END
$$;
