// Unit tests of the audit record codec (src/core/record.hpp).

#include "core/record.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

using namespace agentguard;

namespace {

AuditRecord sample() {
    AuditRecord r;
    r.database_oid = 16384;
    r.login_role_oid = 16390;
    r.logged_at = 757382400123456LL;
    r.backend_pid = 4242;
    r.decision = 0;
    r.approvable = true;
    r.extension_present = true;
    r.read_only = false;
    r.has_statement_hash = true;
    r.rows_affected = -1;
    r.request_id = 42;
    r.token_id = 0;
    for (int i = 0; i < 32; ++i) r.statement_hash[i] = static_cast<std::uint8_t>(i * 7 + 1);
    r.database = "app";
    r.login_role = "ai_bot";
    r.session_role = "ai_bot";
    r.current_role = "owner";
    r.application_name = "psql";
    r.client_addr = "127.0.0.1";
    r.command = "DROP TABLE";
    r.statement = "DROP TABLE users; -- \xc3\xa9t\xc3\xa9";
    r.reason = "destructive DDL needs an approval";
    r.notify_payload = "{\"id\":42}";
    r.objects = {"public.users", "public.orders"};
    r.object_oids = {16400, 16410};
    return r;
}

void expect_equal(const AuditRecord& a, const AuditRecord& b) {
    EXPECT_EQ(a.database_oid, b.database_oid);
    EXPECT_EQ(a.login_role_oid, b.login_role_oid);
    EXPECT_EQ(a.logged_at, b.logged_at);
    EXPECT_EQ(a.backend_pid, b.backend_pid);
    EXPECT_EQ(a.decision, b.decision);
    EXPECT_EQ(a.approvable, b.approvable);
    EXPECT_EQ(a.extension_present, b.extension_present);
    EXPECT_EQ(a.read_only, b.read_only);
    EXPECT_EQ(a.has_statement_hash, b.has_statement_hash);
    EXPECT_EQ(a.rows_affected, b.rows_affected);
    EXPECT_EQ(a.request_id, b.request_id);
    EXPECT_EQ(a.token_id, b.token_id);
    EXPECT_EQ(0, std::memcmp(a.statement_hash, b.statement_hash, 32));
    EXPECT_EQ(a.database, b.database);
    EXPECT_EQ(a.login_role, b.login_role);
    EXPECT_EQ(a.session_role, b.session_role);
    EXPECT_EQ(a.current_role, b.current_role);
    EXPECT_EQ(a.application_name, b.application_name);
    EXPECT_EQ(a.client_addr, b.client_addr);
    EXPECT_EQ(a.command, b.command);
    EXPECT_EQ(a.statement, b.statement);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.notify_payload, b.notify_payload);
    EXPECT_EQ(a.objects, b.objects);
    EXPECT_EQ(a.object_oids, b.object_oids);
}

}  // namespace

TEST(Record, RoundTrip) {
    AuditRecord in = sample();
    std::string bytes = serialize_record(in);
    EXPECT_EQ(record_length_prefix(bytes.data(), bytes.size()), bytes.size());
    AuditRecord out;
    ASSERT_TRUE(deserialize_record(bytes.data(), bytes.size(), &out));
    expect_equal(in, out);
}

TEST(Record, RoundTripEmptyAndExtremes) {
    AuditRecord in;
    in.decision = 2;
    in.rows_affected = INT64_MIN;
    in.request_id = INT64_MAX;
    in.backend_pid = -1;
    in.database_oid = 0xFFFFFFFFu;
    std::string bytes = serialize_record(in);
    AuditRecord out = sample();
    ASSERT_TRUE(deserialize_record(bytes.data(), bytes.size(), &out));
    expect_equal(in, out);
}

TEST(Record, EveryTruncationIsRejected) {
    std::string bytes = serialize_record(sample());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        // A copy of exactly n bytes, so a read past the end is a real out-of-bounds read under ASan/valgrind.
        std::string cut = bytes.substr(0, n);
        AuditRecord out;
        EXPECT_FALSE(deserialize_record(cut.data(), cut.size(), &out)) << "accepted " << n << " bytes";
    }
}

TEST(Record, TrailingBytesAreRejected) {
    std::string bytes = serialize_record(sample());
    bytes.push_back('x');
    AuditRecord out;
    EXPECT_FALSE(deserialize_record(bytes.data(), bytes.size(), &out));
}

TEST(Record, BadVersionFlagsAndDecisionAreRejected) {
    const std::string good = serialize_record(sample());
    AuditRecord out;
    std::string b = good;
    b[4] = 99;  // version
    EXPECT_FALSE(deserialize_record(b.data(), b.size(), &out));
    b = good;
    b[5] = static_cast<char>(0x80);  // unknown flag
    EXPECT_FALSE(deserialize_record(b.data(), b.size(), &out));
    b = good;
    b[6] = 99;  // decision
    EXPECT_FALSE(deserialize_record(b.data(), b.size(), &out));
    b = good;
    b[0] = static_cast<char>(b[0] + 1);  // total length disagrees
    EXPECT_FALSE(deserialize_record(b.data(), b.size(), &out));
}

TEST(Record, HugeStringLengthIsRejected) {
    AuditRecord in;
    std::string bytes = serialize_record(in);
    // The first string length sits right after the fixed part (84 bytes).
    const std::size_t first_len = 4 + 4 + 4 + 4 + 8 + 4 + 8 + 8 + 8 + 32;
    ASSERT_LT(first_len + 4, bytes.size());
    for (std::uint32_t v : {0xFFFFFFFFu, 0x7FFFFFFFu, static_cast<std::uint32_t>(bytes.size())}) {
        std::string b = bytes;
        std::memcpy(&b[first_len], &v, 4);
        AuditRecord out;
        EXPECT_FALSE(deserialize_record(b.data(), b.size(), &out));
    }
}

TEST(Record, HugeObjectCountIsRejected) {
    AuditRecord in;
    std::string bytes = serialize_record(in);
    // The last 8 bytes are the two counts (both 0 here).
    std::string b = bytes;
    std::uint32_t v = 0x40000000u;
    std::memcpy(&b[b.size() - 8], &v, 4);
    AuditRecord out;
    EXPECT_FALSE(deserialize_record(b.data(), b.size(), &out));
    b = bytes;
    std::memcpy(&b[b.size() - 4], &v, 4);
    EXPECT_FALSE(deserialize_record(b.data(), b.size(), &out));
}

TEST(Record, RandomCorruptionNeverCrashes) {
    const std::string good = serialize_record(sample());
    std::mt19937 rng(12345);
    int accepted = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::string b = good;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<char>(rng() & 0xFF);
        if (rng() % 3 == 0) b.resize(rng() % b.size());
        AuditRecord out;
        if (deserialize_record(b.data(), b.size(), &out)) ++accepted;
    }
    // Flips inside string contents are legitimately accepted; the point is no crash and no overread.
    SUCCEED() << accepted << " corrupted inputs parsed";
}

TEST(Record, NullInputIsRejected) {
    AuditRecord out;
    EXPECT_FALSE(deserialize_record(nullptr, 10, &out));
    std::string bytes = serialize_record(sample());
    EXPECT_FALSE(deserialize_record(bytes.data(), bytes.size(), nullptr));
    EXPECT_EQ(0u, record_length_prefix(bytes.data(), 3));
}

TEST(Record, LongStringsAreCutAtCharacterBoundary) {
    AuditRecord in = sample();
    in.statement.clear();
    while (in.statement.size() < kMaxRecordString + 10) in.statement += "\xc3\xa9";  // 2-byte character
    in.statement = "x" + in.statement;  // makes the bound fall inside a character
    std::string bytes = serialize_record(in);
    AuditRecord out;
    ASSERT_TRUE(deserialize_record(bytes.data(), bytes.size(), &out));
    EXPECT_LE(out.statement.size(), kMaxRecordString);
    EXPECT_GE(out.statement.size(), kMaxRecordString - 1);
    EXPECT_EQ(0, in.statement.compare(0, out.statement.size(), out.statement));
    EXPECT_NE(0x80, static_cast<unsigned char>(in.statement[out.statement.size()]) & 0xC0);
}

TEST(Record, RecordNeverExceedsTheBound) {
    AuditRecord in = sample();
    std::string big(kMaxRecordString * 2, 'a');
    in.database = in.login_role = in.session_role = in.current_role = in.application_name = big;
    in.client_addr = in.command = in.statement = in.reason = in.notify_payload = big;
    in.objects.assign(kMaxRecordObjects + 5, std::string(1000, 'o'));
    in.object_oids.assign(kMaxRecordObjects + 5, 7u);
    std::string bytes = serialize_record(in);
    EXPECT_LE(bytes.size(), kMaxRecordBytes);
    AuditRecord out;
    ASSERT_TRUE(deserialize_record(bytes.data(), bytes.size(), &out));
    EXPECT_EQ(out.object_oids.size(), kMaxRecordObjects);
    EXPECT_EQ(out.statement.size(), kMaxRecordString);
}

TEST(Record, ObjectsKeptWhenTheyFit) {
    AuditRecord in = sample();
    in.objects.assign(kMaxRecordObjects + 5, "public.t");
    std::string bytes = serialize_record(in);
    AuditRecord out;
    ASSERT_TRUE(deserialize_record(bytes.data(), bytes.size(), &out));
    EXPECT_EQ(out.objects.size(), kMaxRecordObjects);
}
