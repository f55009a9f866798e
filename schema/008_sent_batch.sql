-- 008_sent_batch.sql: rows sent, recorded a batch at a time in one statement (issue 6).
--
-- When the SMSC has answered every part of an outbox row, the daemon records the row as
-- sent and keeps each part's message id for its receipt (storage/receipts.c). Rows answered
-- while the connection is busy share one call of erm_outbox_sent(): before, each row took
-- three statements (its UPDATE, erm_record_part per part, erm_outbox_settle), which at full
-- load cost the database more CPU than the orders that caused the rows. Now one UPDATE of
-- the batch's rows, one INSERT of their parts, and the settle only for the rare row whose
-- receipt came before its submit_sm_resp was recorded. Same rules as schema/003's
-- erm_record_part, which it replaces (dropped below: nothing else called it), and
-- erm_outbox_settle, which it calls (so does erm_apply_receipt).
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

DROP FUNCTION erm_record_part(bigint, integer, text, text, text, text);

-- Records the rows P_IDS (element I sent with the space-separated SMSC ids P_MESSAGE_IDS[I])
-- as sent, and their parts: part J is outbox row P_PART_ROWS[J], number P_PART_NOS[J], id
-- P_PART_IDS[J] and its forms P_PART_TEXT/DEC/HEX[J] (core/receipt.h; NULL when the id has
-- no such form). A row not queued or sending is left alone (RECORDED false, its parts are
-- not kept: a late response for a row that went on). Receipts that waited in
-- receipts_pending for a recorded part's id are applied to it, and then such a row is
-- settled (DELIVERY set when every part is final, as erm_outbox_settle says). One row per
-- element of P_IDS, ITEM = I.
CREATE FUNCTION erm_outbox_sent(p_ids bigint[], p_message_ids text[], p_part_rows bigint[],
                                p_part_nos integer[], p_part_ids text[], p_part_text text[],
                                p_part_dec text[], p_part_hex text[])
    RETURNS TABLE (item integer, recorded boolean, delivery text)
LANGUAGE plpgsql AS $$
DECLARE
    done bigint[];
    touched bigint[];
    r record;
BEGIN
    -- Receipts and part records meet under this lock (schema/003: erm_receipts_lock).
    PERFORM erm_receipts_lock();
    WITH s AS (SELECT * FROM unnest(p_ids, p_message_ids) AS s(id, message_ids)),
         u AS (UPDATE outbox o SET state = 'sent', message_ids = s.message_ids, error = NULL,
                                   sent_at = now(), updated_at = now()
                 FROM s
                WHERE o.id = s.id AND o.state IN ('queued', 'sending')
               RETURNING o.id)
    SELECT array_agg(u.id) INTO done FROM u;
    done := coalesce(done, '{}');

    INSERT INTO outbox_parts (outbox_id, part, message_id, id_text, id_dec, id_hex)
    SELECT p.outbox_id, p.part, p.message_id, p.id_text, p.id_dec, p.id_hex
      FROM unnest(p_part_rows, p_part_nos, p_part_ids, p_part_text, p_part_dec, p_part_hex)
           AS p(outbox_id, part, message_id, id_text, id_dec, id_hex)
     WHERE p.outbox_id = ANY (done)
     ORDER BY p.outbox_id, p.part;

    -- Receipts that came first (rare): each applied to the part whose id it names, a final
    -- stat never overwritten (erm_part_receipt), then the part's row settled below.
    touched := '{}';
    IF EXISTS (SELECT 1 FROM receipts_pending) THEN
        FOR r IN
            DELETE FROM receipts_pending q
             USING unnest(p_part_rows, p_part_nos, p_part_text, p_part_dec, p_part_hex)
                   AS p(outbox_id, part, id_text, id_dec, id_hex)
             WHERE p.outbox_id = ANY (done)
               AND ((q.match_col = 'text' AND q.match_key = p.id_text)
                    OR (q.match_col = 'dec' AND q.match_key = p.id_dec)
                    OR (q.match_col = 'hex' AND q.match_key = p.id_hex))
            RETURNING q.stat, q.final, q.err, q.done_date, p.outbox_id, p.part
        LOOP
            PERFORM erm_part_receipt(r.outbox_id, r.part, r.stat, r.final, r.err, r.done_date);
            touched := touched || r.outbox_id;
        END LOOP;
    END IF;

    RETURN QUERY
    SELECT s.i::integer, s.id = ANY (done),
           CASE WHEN s.id = ANY (touched) THEN erm_outbox_settle(s.id) END
      FROM unnest(p_ids) WITH ORDINALITY AS s(id, i)
     ORDER BY s.i;
END
$$;
