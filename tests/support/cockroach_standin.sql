-- The CockroachDB stand-in's server side (tests/support/cockroach_standin.hpp): what a
-- PostgreSQL database needs to answer CockroachDB's crdb_internal.force_retry(interval) as the
-- CockroachDB release the stand-in plays. Installed in template1 (so databases created later
-- have it) and in every database that exists when the stand-in starts; safe to run again.
-- The proxy picks the variant for the release by rewriting the call (cockroach_standin.cpp).

CREATE SCHEMA IF NOT EXISTS crdb_internal;
GRANT USAGE ON SCHEMA crdb_internal TO PUBLIC;

-- CockroachDB's built-in: a retryable error while the statement starts less than `min_age`
-- after the transaction did (StmtTimestamp - TxnTimestamp in pkg/sql/sem/builtins/builtins.go,
-- cockroachdb/cockroach PR #21836), 0 once it is older. PostgreSQL's transaction_timestamp() is
-- the start of the whole transaction: it survives ROLLBACK TO SAVEPOINT, as CockroachDB's
-- transaction timestamp survives a restart through `ROLLBACK TO SAVEPOINT cockroach_restart`
-- (issue 14, gap 3). The message follows CockroachDB's "restart transaction: ..." form
-- (https://www.cockroachlabs.com/docs/stable/transaction-retry-error-reference).
CREATE OR REPLACE FUNCTION crdb_internal.force_retry(min_age interval) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $standin$
BEGIN
  IF statement_timestamp() - transaction_timestamp() < min_age THEN
    RAISE EXCEPTION USING ERRCODE = '40001',
      MESSAGE = 'restart transaction: crdb_internal.force_retry(): TransactionRetryWithProtoRefreshError: forced by crdb_internal.force_retry()';
  END IF;
  RETURN 0;
END
$standin$;

-- Before v19.2 the built-in was for root only (checkPrivilegedUser; opened to every user by
-- cockroachdb/cockroach PR #39246, issue #39243, release note of v19.2: "The force_retry()
-- function, which previously required admin privileges, is now available to all users").
CREATE OR REPLACE FUNCTION crdb_internal.force_retry_root_only(min_age interval) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $standin$
BEGIN
  IF session_user <> 'root' THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'insufficient privilege';
  END IF;
  RETURN crdb_internal.force_retry(min_age);
END
$standin$;

-- From v25.4 crdb_internal built-ins refuse to run unless the session variable
-- allow_unsafe_internals is on (cockroachdb/cockroach PR #151887; error text: PR #151068,
-- ErrUnsafeTableAccess, SQLSTATE 42501). The stand-in keeps the variable as the custom setting
-- roachrun_standin.allow_unsafe_internals (the proxy renames it in SET and RESET); unset or
-- empty means the release's default, `default_on` (on in v25.4, cockroachdb/docs PR #20486;
-- off from v26.1, cockroachdb/cockroach PR #158085).
CREATE OR REPLACE FUNCTION crdb_internal.force_retry_gated(default_on boolean, min_age interval) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $standin$
DECLARE
  setting text := lower(coalesce(current_setting('roachrun_standin.allow_unsafe_internals', true), ''));
BEGIN
  IF NOT (CASE WHEN setting = '' THEN default_on ELSE setting IN ('on', 'true', 'yes', '1', 't') END) THEN
    RAISE EXCEPTION USING ERRCODE = '42501',
      MESSAGE = 'Access to crdb_internal and system is restricted. These interfaces are unsupported in production. '
                'To proceed, set the session variable allow_unsafe_internals = true (not recommended), '
                'or contact Cockroach Labs for a supported alternative.';
  END IF;
  RETURN crdb_internal.force_retry(min_age);
END
$standin$;
