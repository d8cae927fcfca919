// Policy decisions of pg_agentguard: what a guarded session may do, and the row limit of a DML statement.
//
// Pure C++17, no Postgres header. The glue translates Postgres state (parse nodes, settings, token checks)
// into the plain facts below and asks here what to do, so that every decision is unit-tested.
#pragma once

#include <cstdint>

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

struct RowLimits {
    int64_t max_rows = 1000;          // agentguard.max_rows; < 0 means no absolute limit
    double max_fraction = 0.01;       // agentguard.max_fraction, 0..1; >= 1 means no fraction limit
    int64_t fraction_min_rows = 100;  // agentguard.fraction_min_rows
};

// The most rows one statement may change in a table of about table_rows rows (table_rows < 0: unknown,
// treated as 0, so only fraction_min_rows and max_rows apply). A statement is stopped when its count
// goes above this number. Blocked iff n > max_rows, or n > fraction_min_rows and n > max_fraction * rows.
// Returns INT64_MAX when nothing limits. max_fraction * rows is rounded down, after snapping a product
// that is a whole number but for floating-point error (0.29 * 100 counts as 29). Out-of-range settings
// fail closed: a negative or NaN max_fraction acts as 0, a negative fraction_min_rows as 0.
int64_t row_threshold(const RowLimits& limits, double table_rows);

// The threshold as it stands before the table size is known: the table size matters only once more
// than fraction_min_rows rows changed, so the glue may postpone sizing the table until then.
int64_t row_threshold_without_size(const RowLimits& limits);

}  // namespace agentguard
