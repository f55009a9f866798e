#!/usr/bin/env python3
"""Generates a large order history quickly with SQL, for the report benchmark (issue 4).

    python3 tests/gen_orders.py [--orders 1000000] [--employees 2000] [--products 20]
                                [--months 3] [--bench ERMCTL]

Uses the PG* environment (psql). Run on a migrated, EMPTY database: it adds employees
G00001.. in 20 departments, products 901.., one code per employee and product, and ORDERS
orders spread over the last MONTHS months, each with its ledger credit (the product's base
commission; tiers are not applied: this is volume, not arithmetic, which erm_credit_order()
and the tests cover), a tenth of them cancelled with their reversal. Set-based INSERTs,
no per-row function calls: a million orders take well under a minute. The ledger's triggers
stay on: its summary for the reports (commission_daily, schema/006_report_summary.sql) is
filled by its statement-level trigger, one aggregated upsert per INSERT.

With --bench ERMCTL it then times `ERMCTL report` for a few --by combinations (the best of
three runs each, output to /dev/null) and prints one line per report.
"""
import argparse
import os
import subprocess
import sys
import time

SQL = r"""
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO employees (id, name, msisdn, dept)
SELECT 'G' || lpad(g::text, 5, '0'), '员工' || g, '135' || lpad(g::text, 8, '0'),
       '部门' || (g % 20)
  FROM generate_series(1, :employees) g;
INSERT INTO products (code, name, commission_fen, quota, width, status)
SELECT (900 + g)::text, '产品' || g, 100 * (1 + g % 9), 99999, 5, 'active'
  FROM generate_series(1, :products) g;
INSERT INTO claims (code, product_code, seq, employee_id, claimed_at)
SELECT (900 + p)::text || lpad(e::text, 5, '0'), (900 + p)::text, e,
       'G' || lpad(e::text, 5, '0'), now() - make_interval(months => :months + 1)
  FROM generate_series(1, :products) p, generate_series(1, :employees) e;
-- Order g: customer g, product g % products, employee (g * 7919) % employees, at a time
-- spread evenly over the months (no two orders of one customer and product).
INSERT INTO orders (customer, code, employee_id, product_code, channel, created_at)
SELECT '13' || lpad(g::text, 9, '0'),
       (900 + 1 + g % :products)::text || lpad((1 + (g::bigint * 7919) % :employees)::text, 5, '0'),
       'G' || lpad((1 + (g::bigint * 7919) % :employees)::text, 5, '0'),
       (900 + 1 + g % :products)::text, 'sms',
       now() - make_interval(months => :months) * (g::float8 / :orders)
  FROM generate_series(1, :orders) g;
INSERT INTO commission_ledger (order_id, kind, employee_id, product_code, period, order_day,
                               nth, amount_fen, created_at)
SELECT o.id, 'credit', o.employee_id, o.product_code, erm_period_of(o.created_at),
       erm_day_of(o.created_at), 1, p.commission_fen, o.created_at
  FROM orders o JOIN products p ON p.code = o.product_code;
UPDATE orders SET cancelled_at = created_at + interval '1 day', cancel_reason = 'generated',
                  cancelled_by = 'manager'
 WHERE id % 10 = 0;
INSERT INTO commission_ledger (order_id, kind, employee_id, product_code, period, order_day,
                               amount_fen, created_at)
SELECT l.order_id, 'reversal', l.employee_id, l.product_code, l.period, l.order_day,
       -l.amount_fen, l.created_at + interval '1 day'
  FROM commission_ledger l WHERE l.order_id % 10 = 0;
COMMIT;
VACUUM ANALYZE orders;
VACUUM ANALYZE commission_ledger;
VACUUM ANALYZE commission_daily;
"""

REPORTS = [["--by", "employee"], ["--by", "dept,product"], ["--by", "day"],
           ["--by", "product", "--format", "csv"], ["--by", "team,dept", "--format", "json"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1000000)
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument("--products", type=int, default=20)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--bench", metavar="ERMCTL")
    a = ap.parse_args()
    t0 = time.monotonic()
    cmd = ["psql", "-X", "-q"]
    for k in ("orders", "employees", "products", "months"):
        cmd += ["-v", "%s=%d" % (k, getattr(a, k))]
    subprocess.run(cmd, input=SQL, text=True, check=True)
    print("generated %d orders in %.1f s" % (a.orders, time.monotonic() - t0))
    if a.bench:
        for args in REPORTS:
            best = None
            for _ in range(3):
                t = time.monotonic()
                subprocess.run([a.bench, "report"] + args, stdout=subprocess.DEVNULL, check=True)
                best = min(best or 1e9, time.monotonic() - t)
            print("ermctl report %-32s %6.0f ms" % (" ".join(args), best * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
