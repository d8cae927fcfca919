/*
 * audit_chain.hpp — the hash chain of agentguard.audit_log (tamper evidence, SPEC §6).
 *
 * Every row carries prev_hash (the row_hash of the row before it, in id order) and
 * row_hash = SHA-256("pg_agentguard audit chain v1" || prev_hash || encoding of the row's 15 values).
 * Writers (the audit worker, the humans' actions) serialise on a transaction-level lock of their own, so
 * the chain is linear; verify_audit() walks it. Nothing prevents a superuser from editing rows, but an
 * edit, a deletion or a row inserted by hand breaks a link that verify_audit() reports.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Number of audit_log values the chain covers, in the column order of the writers' INSERT:
 * logged_at, database, session_role, current_role, application_name, client_addr, backend_pid, command,
 * statement, objects, decision, reason, rows_affected, request_id, token_id. */
#define AG_CHAIN_VALUES 15

/*
 * For a row about to be inserted (values v/nulls as above, in the current transaction, SPI connected):
 * takes the chain lock, and sets *prev and *hash to the bytea Datums of prev_hash and row_hash. The
 * chain head is cached for the rest of the transaction unless reread is true (a caller inside a
 * subtransaction that may roll back must reread).
 */
void		audit_chain_link(const Datum *v, const char *nulls, bool reread, Datum *prev, Datum *hash);

/* For purge_audit(): takes the chain lock (until the end of the transaction). */
void		audit_chain_lock(void);

}  // namespace agentguard
