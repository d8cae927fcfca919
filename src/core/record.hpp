// The serialized form of one audit event as it travels through the shared-memory queue, from the
// backend that intercepted a statement to the audit worker that writes the rows.
//
// Pure C++17, no Postgres header. The format is private to one running server (the queue does not
// survive a restart), but the reader still trusts nothing: deserialize() checks every length against
// the bytes it was given and returns false on anything short, long or malformed — it never reads out of
// bounds and never allocates more than the input could describe.
//
// Layout (little-endian, no padding):
//   u32  total length of the record in bytes, this field included
//   u8   format version (kRecordVersion)
//   u8   flags (bit 0 approvable, bit 1 extension_present, bit 2 read_only, bit 3 has_statement_hash)
//   u8   decision (0 blocked, 1 approved, 2 warned, 3 breaker, 4 previewed)
//   u8   reserved, 0
//   u32  database_oid, u32 login_role_oid
//   i64  logged_at (PostgreSQL TimestampTz: microseconds since 2000-01-01 UTC)
//   i32  backend_pid
//   i64  rows_affected, i64 request_id, i64 token_id
//   u8[32] statement_hash (SHA-256 of the normalised statement; zeros when absent)
//   then each string as u32 length + bytes, in this order: database, login_role, session_role,
//   current_role, application_name, client_addr, command, statement, reason, notify_payload;
//   u32 object count, each object a string; u32 oid count, each a u32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace agentguard {

constexpr std::uint8_t kRecordVersion = 1;

// Upper bounds a record must respect. The statement is already cut to 64 KB by the event sink; the
// other bounds keep one record well below the size of the queue: ten strings at the bound plus the
// oids still fit in kMaxRecordBytes, so only the object list can ever have to give way.
constexpr std::size_t kMaxRecordString = 96 * 1024;    // any single string
constexpr std::size_t kMaxRecordObjects = 4096;        // objects and object oids, each
constexpr std::size_t kMaxRecordBytes = 1024 * 1024;   // the whole record

struct AuditRecord {
    std::uint32_t database_oid = 0;
    std::uint32_t login_role_oid = 0;
    std::int64_t logged_at = 0;
    std::int32_t backend_pid = 0;
    std::uint8_t decision = 0;
    bool approvable = false;
    bool extension_present = false;
    bool read_only = false;
    bool has_statement_hash = false;
    std::int64_t rows_affected = -1;
    std::int64_t request_id = 0;
    std::int64_t token_id = 0;
    std::uint8_t statement_hash[32] = {};

    std::string database;
    std::string login_role;         // name of the login role (the agent of a request)
    std::string session_role;
    std::string current_role;
    std::string application_name;
    std::string client_addr;        // empty when not over TCP
    std::string command;
    std::string statement;          // redacted, bounded
    std::string reason;
    std::string notify_payload;     // empty when no NOTIFY is due
    std::vector<std::string> objects;
    std::vector<std::uint32_t> object_oids;
};

// Serializes rec. Strings longer than kMaxRecordString are cut (at a UTF-8 character boundary), lists
// longer than kMaxRecordObjects are cut; the result is never longer than kMaxRecordBytes: when the
// strings together would exceed it, the objects are dropped first, then the statement is cut.
// May throw std::bad_alloc.
std::string serialize_record(const AuditRecord& rec);

// Reads one record from exactly len bytes at data. Returns false (and leaves *out in an unspecified
// but valid state) when the bytes are not one well-formed record of this version: truncated, trailing
// garbage, a length that points past the end, a bound exceeded, an unknown version or decision.
// May throw std::bad_alloc.
bool deserialize_record(const void* data, std::size_t len, AuditRecord* out);

// The total length a serialized record announces in its first four bytes, or 0 when fewer than four
// bytes are given. Lets a reader find record boundaries without parsing.
std::uint32_t record_length_prefix(const void* data, std::size_t len);

}  // namespace agentguard
