-- 010_lighter_writes.sql: fewer index entries written per order and per reply (issue 6).
--
-- Every index entry an INSERT writes costs PostgreSQL a few microseconds on the order path,
-- which is the gateway's limit (BENCHMARKS.md). `tests/bench/order_sql.py --batches 100`
-- (batches of 100 on the benchmark's pool) measured 83-84 us of PostgreSQL per order before,
-- 79-81 after (two runs each). Dropped, each written for every order and read by no query:
--
--   orders_employee, orders_team   the orders by holder and time. Every order wrote an
--       entry into both (the one for the holder kind it is not with a NULL key). Questions
--       about a holder's orders read the ledger (commission_ledger_employee/_team, by
--       holder and period) or the summary (schema/006); the ranking reads orders by time.
--   commission_ledger_day   the ledger by order day, for the reports before they read the
--       summary (commission_daily, schema/006).
--
-- (The replies' parts write fewer index entries too, with no change here: the gateway keeps
-- a part's DEC or HEX form only when the [smsc] message_ids setting can look for it,
-- storage/receipts.c.)
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

DROP INDEX orders_employee;
DROP INDEX orders_team;
DROP INDEX commission_ledger_day;
