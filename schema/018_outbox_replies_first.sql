-- 018_outbox_replies_first.sql: the sender takes replies before pushes (issue 16).
--
-- A hand-out queues its promo pushes all at once (100,000 rows for a department), and the
-- sender took queued rows oldest first: a customer's order confirmation, a holder's note or
-- an employee's login code queued after them waited for every push (7 s at 14,000 submits
-- a second, hours at a carrier's bulk rate). The take (storage/outbox.c) now reads two
-- queues, the replies first and the pushes with what room is left; each has its index,
-- and every queued row is in exactly one of them, so a row costs the writes it cost before.
CREATE INDEX outbox_queued_reply ON outbox (id) WHERE state = 'queued' AND kind <> 'promo';
CREATE INDEX outbox_queued_push ON outbox (id) WHERE state = 'queued' AND kind = 'promo';
DROP INDEX outbox_queued;
