/*
 * module.cpp — loading pg_agentguard: _PG_init installs the settings and every hook.
 *
 * The guard must be in place before any session runs a statement, in every database of the cluster, so
 * the library refuses to load other than through shared_preload_libraries (a LOAD or
 * session_preload_libraries would guard only some sessions, which is worse than an honest error).
 * In binary-upgrade mode it does nothing: pg_upgrade's own DDL must not be judged.
 *
 * Its LOG line at server start is the health signal of the server log: its absence after a restart
 * means the guard is off (agentguard.library_loaded() says the same in SQL).
 */
#include "pg/pg_headers.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
PGDLLEXPORT Datum ag_library_version(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(ag_library_version);
}

#include "pg/agent_code.hpp"
#include "pg/audit_queue.hpp"
#include "pg/audit_worker.hpp"
#include "pg/breaker.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/request_ids.hpp"

extern "C" void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_agentguard must be loaded via shared_preload_libraries"),
				 errhint("Add pg_agentguard to shared_preload_libraries in postgresql.conf and restart the server.")));
	if (IsBinaryUpgrade)
		return;

	agentguard::define_settings();
	agentguard::identity_init();
	agentguard::install_utility_hook();
	agentguard::install_object_access_hook();
	agentguard::install_dml_protect_hook();
	agentguard::install_xact_callbacks();
	agentguard::install_executor_hooks();
	agentguard::install_agent_code_hooks();
	agentguard::audit_queue_init();
	agentguard::request_ids_init();
	agentguard::breaker_init();
	agentguard::audit_worker_register();

	ereport(LOG,
			(errmsg("pg_agentguard %s loaded: agentguard.mode = %s", AG_LIBRARY_VERSION,
					GetConfigOption("agentguard.mode", false, false)),
			 errdetail("Agents' destructive statements are guarded in every database of this cluster.")));
}

/* agentguard.status() reports the version of the library the server runs, which can differ from the
 * extension's version in a database that has not run ALTER EXTENSION ... UPDATE yet. */
extern "C" Datum
ag_library_version(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	PG_RETURN_TEXT_P(cstring_to_text(AG_LIBRARY_VERSION));
}
