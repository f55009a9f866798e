-- 009_hot_path_keys.sql: fewer foreign-key checks on the order path (issue 6).
--
-- Every order inserts an orders row and a commission_ledger row; each of their foreign keys
-- is a lookup and a FOR KEY SHARE lock of the parent row at the end of the statement, and
-- the parents are small and hot (100 products locked by every order: concurrent batches
-- share those row locks, which costs multixacts). Measured with tests/bench/order_sql.py
-- (batches of 100 on the benchmark's pool): 108 us of PostgreSQL per order with the keys
-- below, 83 us without them.
--
-- The keys dropped are copies of keys that stay, so no row can point nowhere:
--   orders.employee_id, team_id, product_code   copy the order's claim (orders.code keeps
--       its key to claims), whose own keys to employees, teams and products stay, and whose
--       holder and product never change (the trigger below makes that a rule);
--   commission_ledger.employee_id, team_id, product_code   copy the entry's order
--       (commission_ledger.order_id keeps its key to orders).
-- Nothing deletes employees, teams, products, claims or orders; the kept keys would refuse
-- it anyway.
--
-- Applied by `ermctl migrate` in one transaction: no BEGIN/COMMIT here.

ALTER TABLE orders
    DROP CONSTRAINT orders_employee_id_fkey,
    DROP CONSTRAINT orders_team_id_fkey,
    DROP CONSTRAINT orders_product_code_fkey;

ALTER TABLE commission_ledger
    DROP CONSTRAINT commission_ledger_employee_id_fkey,
    DROP CONSTRAINT commission_ledger_team_id_fkey,
    DROP CONSTRAINT commission_ledger_product_code_fkey;

-- A claim's code, holder and product are fixed once it is made: its orders (and through
-- them the ledger) rely on them instead of keys of their own.
CREATE FUNCTION erm_claim_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.code IS DISTINCT FROM OLD.code OR NEW.employee_id IS DISTINCT FROM OLD.employee_id
       OR NEW.team_id IS DISTINCT FROM OLD.team_id
       OR NEW.product_code IS DISTINCT FROM OLD.product_code THEN
        RAISE EXCEPTION 'claim %: its code, holder and product cannot change', OLD.code
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER claims_fixed BEFORE UPDATE ON claims
    FOR EACH ROW EXECUTE FUNCTION erm_claim_fixed();
