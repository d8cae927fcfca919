/*
 * audit_worker.hpp — the background workers that write the audit rows (see audit_worker.cpp).
 */
#pragma once

namespace agentguard {

/* Registers the static launcher worker; call from _PG_init (shared_preload_libraries only). */
void		audit_worker_register(void);

}  // namespace agentguard
