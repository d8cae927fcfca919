/*
 * module.cpp — loading pg_agentguard: _PG_init installs the settings and every hook.
 *
 * The guard must be in place before any session runs a statement, in every database of the cluster, so
 * the library refuses to load other than through shared_preload_libraries (a LOAD or
 * session_preload_libraries would guard only some sessions, which is worse than an honest error).
 * In binary-upgrade mode it does nothing: pg_upgrade's own DDL must not be judged.
 */
#include "pg/pg_headers.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
}

#include "pg/agent_code.hpp"
#include "pg/audit_queue.hpp"
#include "pg/audit_worker.hpp"
#include "pg/breaker.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"

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
	agentguard::breaker_init();
	agentguard::audit_worker_register();
}
