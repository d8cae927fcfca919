/*
 * audit_write.hpp — turning queued audit records into rows of agentguard.audit_log and
 * agentguard.requests (audit_write.cpp). Used by the writers (audit_worker.cpp) in transactions of their
 * own and by an approver's backend in its own transaction (audit_flush.cpp).
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "pg/audit_queue.hpp"

namespace agentguard {

/* One decoded record in plain palloc'd memory (built by the C++ side, used by the PostgreSQL side). */
struct PlainRecord
{
	bool		ok;
	Oid			login_role_oid;
	int64		logged_at;
	int32		backend_pid;
	int			decision;
	bool		approvable;
	int64		rows_affected;
	int64		request_id;
	int64		token_id;
	uint8		statement_hash[32];
	char	   *database;
	char	   *login_role;
	char	   *session_role;
	char	   *current_role;
	char	   *application_name;
	char	   *client_addr;
	char	   *command;
	char	   *statement;
	char	   *reason;
	char	   *notify_payload;
	int			nobjects;
	char	  **objects;
	int			noids;
	Oid		   *oids;
};

struct WriteCounts
{
	uint64		written;
	uint64		discarded;
	uint64		failed;
};

/* Decodes n taken entries into palloc'd PlainRecords (in CurrentMemoryContext); corrupt ones have !ok. */
PlainRecord *audit_decode(const QueueTaken *taken, int n);

/*
 * Inserts the good records of recs. Runs inside a transaction, SPI connected, with an active snapshot
 * and search_path pinned to pg_catalog; raises an ERROR when an insert fails. Without the extension the
 * records count as discarded; into tables someone planted rules or triggers on it refuses to write
 * (WARNING; counted as failed). Adds to *counts.
 */
void		audit_insert_records(PlainRecord *recs, int n, WriteCounts *counts);

/* Moves the identity sequence of audit_log past its largest id (after someone reset it; SPI connected). */
void		audit_repair_identity(void);

/* The largest request id stored in this database (SPI connected); 0 when none or no extension. */
int64		audit_stored_max_request_id(void);

/* An approver's backend writes its database's queued records in its own transaction (audit_flush.cpp). */
void		audit_flush_own_database(void);

}  // namespace agentguard
