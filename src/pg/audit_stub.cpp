/*
 * audit_stub.cpp — stand-in for the audit module until the queue and worker exist: the server log line
 * written by the event sink is the only record.
 */
extern "C" {
#include "postgres.h"
}

#include "pg/audit.hpp"

namespace agentguard {

void
audit_enqueue(const EventData *ev)
{
	(void) ev;
}

}  // namespace agentguard
