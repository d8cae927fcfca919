// Policy decisions of pg_agentguard: what a guarded session may do. (The row limit of a DML statement
// and its budget arithmetic are in core/row_budget.hpp.)
//
// Pure C++17, no Postgres header. The glue translates Postgres state (parse nodes, settings, token checks)
// into the plain facts below and asks here what to do, so that every decision is unit-tested.
#pragma once

#include <cstdint>

#include "core/row_budget.hpp"

namespace agentguard {

enum class Mode { Off = 0, Warn = 1, Enforce = 2 };

// What a statement (or one part of it) is, as far as the guard cares.
enum class StatementClass {
    Harmless = 0,        // not intercepted
    DestructiveDdl = 1,  // DROP, TRUNCATE, destructive ALTER TABLE, role DDL: approvable by a token
    DestructiveDml = 2,  // oversized or unqualified DELETE/UPDATE/MERGE/upsert: approvable by a token
    SelfProtection = 3,  // touching the guard itself: never approvable, refused in every mode
};

enum class Action {
    Allow = 0,     // run it, record nothing
    AllowTemp = 1, // run it: only temporary objects of the session are affected (allow_temp_drops)
    Approved = 2,  // run it under a valid token, record 'approved'
    Warn = 3,      // run it, raise a WARNING, record 'warned' (mode = warn)
    Block = 4,     // refuse it, record 'blocked'
};

struct Facts {
    StatementClass cls = StatementClass::Harmless;
    Mode mode = Mode::Enforce;
    bool only_temp_objects = false;  // every object it destroys is a temporary object of this session
    bool allow_temp_drops = true;    // agentguard.allow_temp_drops
    bool token_valid = false;        // a presented token matches this statement
};

// The decision for a guarded session. (Unguarded sessions are never asked.)
// SelfProtection: Block, in every mode. Harmless: Allow. Destructive*: mode Off -> Allow;
// only_temp_objects && allow_temp_drops -> AllowTemp; token_valid -> Approved; mode Warn -> Warn;
// else Block. A class outside the enum is blocked.
Action decide(const Facts& facts);

}  // namespace agentguard
