/*
 * agent_code.hpp — provenance hooks: agents' functions are judged as the agent's wherever they run.
 * See agent_code.cpp.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

void		install_agent_code_hooks(void);

}  // namespace agentguard
