"""schema/009_hot_path_keys.sql: the order path's copies of keys (an order's holder and
product, a ledger entry's) lost their own foreign keys; what keeps them pointing somewhere
is the claim's keys and the rule that a claim's code, holder and product never change. These
check that rule and that the kept keys still refuse what would leave a row pointing
nowhere, on a migrated database with one claimed code and one order."""
import ermtest


class HotPathKeys(ermtest.ErmctlCase):
    def setUp(self):
        super().setUp()
        self.code, _ = ermtest.setup_pool(self.pg)
        self.ok("employee", "add", "--id", "E002", "--name", "李四", "--msisdn", "13800000002",
                "--dept", "市场部")
        r = self.pg.psql("SELECT outcome FROM erm_place_order('13911112222', :'p1', 'sms')",
                         self.code)
        self.assertEqual(r, [("ok",)])

    def refused(self, sql, *params):
        with self.assertRaises(RuntimeError) as cm:
            self.pg.psql(sql, *params)
        return str(cm.exception)

    def test_claim_holder_and_product_cannot_change(self):
        msg = self.refused("UPDATE claims SET employee_id = 'E002' WHERE code = :'p1'",
                           self.code)
        self.assertIn("its code, holder and product cannot change", msg)
        msg = self.refused("UPDATE claims SET code = '99999' WHERE code = :'p1'", self.code)
        self.assertIn("cannot change", msg)
        # the holder is what it was; an update of nothing the orders rely on is allowed
        self.assertEqual(self.pg.scalar("SELECT employee_id FROM claims WHERE code = :'p1'",
                                        self.code), "E001")
        self.pg.psql("UPDATE claims SET employee_id = employee_id WHERE code = :'p1'", self.code)

    def test_kept_keys_refuse_deleting_what_an_order_relies_on(self):
        for sql in ("DELETE FROM employees WHERE id = 'E001'",   # claims.employee_id
                    "DELETE FROM products WHERE code = '10'",    # claims.product_code
                    "DELETE FROM claims",                        # orders.code
                    "DELETE FROM orders"):                       # commission_ledger.order_id
            self.assertIn("violates foreign key constraint", self.refused(sql), sql)
        self.assertEqual(self.count("orders"), 1)

    def test_order_and_ledger_copy_the_claim(self):
        rows = self.pg.psql(
            "SELECT count(*) FROM orders o JOIN claims c ON c.code = o.code"
            " JOIN commission_ledger l ON l.order_id = o.id"
            " WHERE o.employee_id IS NOT DISTINCT FROM c.employee_id"
            " AND o.team_id IS NOT DISTINCT FROM c.team_id AND o.product_code = c.product_code"
            " AND l.employee_id IS NOT DISTINCT FROM o.employee_id"
            " AND l.team_id IS NOT DISTINCT FROM o.team_id AND l.product_code = o.product_code")
        self.assertEqual(rows, [("1",)])


if __name__ == "__main__":
    ermtest.main()
