-- One bank transfer as the tutorial does it (the tutorial protocol of roachrun's bank.workload and
-- of bare_bank): BEGIN ISOLATION LEVEL SERIALIZABLE, SELECT the balance, the two UPDATEs only when
-- the money is there, COMMIT either way -- 5 round trips (3 when declined).
-- from: uniform in [1, accounts]; to: uniform over the other accounts; amount: uniform in [1, amount].
-- Run by bench/run.sh as:
--   pgbench -n -M prepared --max-tries=N -T SECS -c C -j J -D accounts=A -D amount=10 -f pgbench-transfer.sql
\set from random(1, :accounts)
\set to 1 + (:from + random(0, :accounts - 2)) % :accounts
\set amount random(1, :amount)
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT balance FROM accounts WHERE id = :from \gset
\if :balance >= :amount
UPDATE accounts SET balance = balance - :amount WHERE id = :from;
UPDATE accounts SET balance = balance + :amount WHERE id = :to;
\endif
END;
