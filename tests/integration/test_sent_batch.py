"""erm_outbox_sent() (schema/008_sent_batch.sql), the one statement that records a batch of
rows answered by the SMSC as sent: each row's move to 'sent' with its message ids, its parts
kept for their receipts, a row not in a state for it left alone, and receipts that came
before their submit_sm_resp applied and settled. The daemon's use of it is covered by
test_receipts.py and test_faults.py; this drives the function straight with SQL on a
migrated database, with the edge cases a live SMSC seldom produces on cue.
"""
import ermtest


class SentBatch(ermtest.ErmctlCase):
    def setUp(self):
        super().setUp()
        ermtest.ermctl(self.pg, "migrate", check=True)

    def queue(self, dest, state="sending"):
        return int(self.pg.scalar(
            "INSERT INTO outbox (dest, source, kind, text, state) VALUES"
            " (:'p1', '10086', 'test', 'hello', :'p2') RETURNING id", dest, state))

    def sent(self, ids, message_ids, parts):
        """Calls erm_outbox_sent with PARTS as (row, n, id, text, dec, hex) tuples."""
        cols = list(zip(*parts)) if parts else [()] * 6

        def arr(values):
            return "{" + ",".join("NULL" if v is None else '"%s"' % v for v in values) + "}"

        return self.pg.psql(
            "SELECT item, recorded, delivery FROM erm_outbox_sent(:'p1'::bigint[],"
            " :'p2'::text[], :'p3'::bigint[], :'p4'::integer[], :'p5'::text[], :'p6'::text[],"
            " :'p7'::text[], :'p8'::text[])",
            arr(ids), arr(message_ids), *[arr(c) for c in cols])

    def row(self, rid):
        return self.pg.psql("SELECT state, message_ids, delivery FROM outbox WHERE id = :'p1'",
                            rid)[0]

    def test_batch_records_each_row_and_its_parts(self):
        a, b = self.queue("13900000001"), self.queue("13900000002")
        rows = self.sent([a, b], ["0A 0B", "0C"],
                         [(a, 1, "0A", "a", "10", "a"), (a, 2, "0B", "b", "11", "b"),
                          (b, 1, "0C", "c", "12", "c")])
        self.assertEqual(rows, [("1", "t", ""), ("2", "t", "")])
        self.assertEqual(self.row(a), ("sent", "0A 0B", ""))
        self.assertEqual(self.row(b), ("sent", "0C", ""))
        parts = self.pg.psql("SELECT outbox_id, part, message_id, id_text, id_dec FROM"
                             " outbox_parts ORDER BY outbox_id, part")
        self.assertEqual(parts, [(str(a), "1", "0A", "a", "10"), (str(a), "2", "0B", "b", "11"),
                                 (str(b), "1", "0C", "c", "12")])

    def test_row_not_sending_is_left_alone(self):
        a, done = self.queue("13900000003"), self.queue("13900000004", state="sent")
        rows = self.sent([done, a], ["X1", "X2"],
                         [(done, 1, "X1", "x1", None, None), (a, 1, "X2", "x2", None, None)])
        self.assertEqual(rows, [("1", "f", ""), ("2", "t", "")])
        self.assertEqual(self.row(done), ("sent", "", ""))  # untouched, no message ids
        self.assertEqual(self.pg.psql("SELECT outbox_id FROM outbox_parts"), [(str(a),)])

    def test_receipt_that_came_first_settles_its_row(self):
        a, b = self.queue("13900000005"), self.queue("13900000006")
        # receipts for a's only part and b's first part, before either was recorded
        for key, stat in (("r1", "DELIVRD"), ("r2", "UNDELIV")):
            self.pg.psql("SELECT erm_apply_receipt(:'p1', 'text', :'p1', :'p2', true, NULL,"
                         " NULL)", key, stat)
        self.assertEqual(int(self.pg.scalar("SELECT count(*) FROM receipts_pending")), 2)
        rows = self.sent([a, b], ["R1", "R2 R3"],
                         [(a, 1, "R1", "r1", None, None), (b, 1, "R2", "r2", None, None),
                          (b, 2, "R3", "r3", None, None)])
        # a: its one part final -> settled; b: part 2 still waits -> not settled yet
        self.assertEqual(rows, [("1", "t", "DELIVRD"), ("2", "t", "")])
        self.assertEqual(self.row(a)[2], "DELIVRD")
        self.assertEqual(self.row(b)[2], "")
        self.assertEqual(int(self.pg.scalar("SELECT count(*) FROM receipts_pending")), 0)
        stats = self.pg.psql("SELECT part, stat, final FROM outbox_parts WHERE outbox_id ="
                             " :'p1' ORDER BY part", b)
        self.assertEqual(stats, [("1", "UNDELIV", "t"), ("2", "", "f")])

    def test_statement_error_leaves_nothing(self):
        a, b = self.queue("13900000007"), self.queue("13900000008")
        with self.assertRaises(Exception):
            # the same part twice: the parts' key refuses it, the whole call is undone
            self.sent([a, b], ["D1", "D2"],
                      [(a, 1, "D1", "d1", None, None), (a, 1, "D1", "d1", None, None),
                       (b, 1, "D2", "d2", None, None)])
        self.assertEqual(self.row(a)[0], "sending")
        self.assertEqual(self.row(b)[0], "sending")
        self.assertEqual(int(self.pg.scalar("SELECT count(*) FROM outbox_parts")), 0)


if __name__ == "__main__":
    ermtest.main()
