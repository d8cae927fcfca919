// record.cpp — see record.hpp for the format and the contract.

#include "core/record.hpp"

#include <cstring>

namespace agentguard {

namespace {

constexpr std::size_t kFixedBytes = 4 + 4 + 4 + 4 + 8 + 4 + 8 + 8 + 8 + 32;
constexpr int kStringCount = 10;

// Longest prefix of s of at most max bytes that does not end inside a UTF-8 sequence.
std::size_t utf8_cut(const std::string& s, std::size_t max) {
    if (s.size() <= max) return s.size();
    std::size_t n = max;
    // Step back over continuation bytes (10xxxxxx) to the start of the character that was cut.
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return n;
}

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_str(std::string& out, const std::string& s, std::size_t n) {
    put_u32(out, static_cast<std::uint32_t>(n));
    out.append(s.data(), n);
}

// A bounds-checked cursor over untrusted bytes: every read first checks what is left.
class Reader {
public:
    Reader(const unsigned char* p, std::size_t n) : p_(p), left_(n) {}

    bool u8(std::uint8_t* v) {
        if (left_ < 1) return false;
        *v = *p_;
        advance(1);
        return true;
    }
    bool u32(std::uint32_t* v) {
        if (left_ < 4) return false;
        std::uint32_t r = 0;
        for (int i = 0; i < 4; ++i) r |= static_cast<std::uint32_t>(p_[i]) << (8 * i);
        *v = r;
        advance(4);
        return true;
    }
    bool u64(std::uint64_t* v) {
        if (left_ < 8) return false;
        std::uint64_t r = 0;
        for (int i = 0; i < 8; ++i) r |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
        *v = r;
        advance(8);
        return true;
    }
    bool i64(std::int64_t* v) {
        std::uint64_t u;
        if (!u64(&u)) return false;
        std::memcpy(v, &u, sizeof(u));
        return true;
    }
    bool bytes(std::uint8_t* dst, std::size_t n) {
        if (left_ < n) return false;
        std::memcpy(dst, p_, n);
        advance(n);
        return true;
    }
    bool str(std::string* s) {
        std::uint32_t n;
        if (!u32(&n)) return false;
        if (n > kMaxRecordString || n > left_) return false;
        s->assign(reinterpret_cast<const char*>(p_), n);
        advance(n);
        return true;
    }
    std::size_t left() const { return left_; }

private:
    void advance(std::size_t n) {
        p_ += n;
        left_ -= n;
    }
    const unsigned char* p_;
    std::size_t left_;
};

}  // namespace

std::string serialize_record(const AuditRecord& rec) {
    const std::string* strings[kStringCount] = {
        &rec.database, &rec.login_role, &rec.session_role, &rec.current_role, &rec.application_name,
        &rec.client_addr, &rec.command, &rec.statement, &rec.reason, &rec.notify_payload,
    };
    const int kStatementIndex = 7;
    std::size_t lens[kStringCount];
    std::size_t total = kFixedBytes + 4 + 4;  // + object count + oid count
    for (int i = 0; i < kStringCount; ++i) {
        lens[i] = utf8_cut(*strings[i], kMaxRecordString);
        total += 4 + lens[i];
    }
    std::size_t nobjects = rec.objects.size() < kMaxRecordObjects ? rec.objects.size() : kMaxRecordObjects;
    std::size_t noids = rec.object_oids.size() < kMaxRecordObjects ? rec.object_oids.size() : kMaxRecordObjects;
    std::size_t object_lens[kMaxRecordObjects];
    std::size_t objects_total = 0;
    for (std::size_t i = 0; i < nobjects; ++i) {
        object_lens[i] = utf8_cut(rec.objects[i], kMaxRecordString);
        objects_total += 4 + object_lens[i];
    }
    total += 4 * noids;
    if (total + objects_total > kMaxRecordBytes) {
        // The object list is the least important part (the statement names the objects too).
        nobjects = 0;
        objects_total = 0;
    }
    if (total > kMaxRecordBytes) {
        std::size_t excess = total - kMaxRecordBytes;
        std::size_t keep = lens[kStatementIndex] > excess ? lens[kStatementIndex] - excess : 0;
        std::size_t cut = utf8_cut(*strings[kStatementIndex], keep);
        total -= lens[kStatementIndex] - cut;
        lens[kStatementIndex] = cut;
    }
    total += objects_total;

    std::string out;
    out.reserve(total);
    put_u32(out, static_cast<std::uint32_t>(total));
    put_u8(out, kRecordVersion);
    put_u8(out, static_cast<std::uint8_t>((rec.approvable ? 1 : 0) | (rec.extension_present ? 2 : 0) |
                                          (rec.read_only ? 4 : 0) | (rec.has_statement_hash ? 8 : 0)));
    put_u8(out, rec.decision);
    put_u8(out, 0);
    put_u32(out, rec.database_oid);
    put_u32(out, rec.login_role_oid);
    put_u64(out, static_cast<std::uint64_t>(rec.logged_at));
    put_u32(out, static_cast<std::uint32_t>(rec.backend_pid));
    put_u64(out, static_cast<std::uint64_t>(rec.rows_affected));
    put_u64(out, static_cast<std::uint64_t>(rec.request_id));
    put_u64(out, static_cast<std::uint64_t>(rec.token_id));
    out.append(reinterpret_cast<const char*>(rec.statement_hash), sizeof(rec.statement_hash));
    for (int i = 0; i < kStringCount; ++i) put_str(out, *strings[i], lens[i]);
    put_u32(out, static_cast<std::uint32_t>(nobjects));
    for (std::size_t i = 0; i < nobjects; ++i) put_str(out, rec.objects[i], object_lens[i]);
    put_u32(out, static_cast<std::uint32_t>(noids));
    for (std::size_t i = 0; i < noids; ++i) put_u32(out, rec.object_oids[i]);
    return out;
}

bool deserialize_record(const void* data, std::size_t len, AuditRecord* out) {
    if (data == nullptr || out == nullptr) return false;
    if (len < kFixedBytes || len > kMaxRecordBytes) return false;
    Reader r(static_cast<const unsigned char*>(data), len);

    std::uint32_t total;
    std::uint8_t version, flags, decision, reserved;
    if (!r.u32(&total) || total != len) return false;
    if (!r.u8(&version) || version != kRecordVersion) return false;
    if (!r.u8(&flags) || (flags & ~0x0Fu) != 0) return false;
    if (!r.u8(&decision) || decision > 4) return false;
    if (!r.u8(&reserved) || reserved != 0) return false;
    out->approvable = (flags & 1) != 0;
    out->extension_present = (flags & 2) != 0;
    out->read_only = (flags & 4) != 0;
    out->has_statement_hash = (flags & 8) != 0;
    out->decision = decision;

    std::uint32_t pid;
    if (!r.u32(&out->database_oid) || !r.u32(&out->login_role_oid) || !r.i64(&out->logged_at) ||
        !r.u32(&pid) || !r.i64(&out->rows_affected) || !r.i64(&out->request_id) ||
        !r.i64(&out->token_id) || !r.bytes(out->statement_hash, sizeof(out->statement_hash)))
        return false;
    std::memcpy(&out->backend_pid, &pid, sizeof(pid));

    std::string* strings[kStringCount] = {
        &out->database, &out->login_role, &out->session_role, &out->current_role, &out->application_name,
        &out->client_addr, &out->command, &out->statement, &out->reason, &out->notify_payload,
    };
    for (int i = 0; i < kStringCount; ++i)
        if (!r.str(strings[i])) return false;

    std::uint32_t n;
    // Each object takes at least 4 bytes, so a count larger than what is left is corrupt: checked
    // before reserving, so a forged count cannot make us allocate.
    if (!r.u32(&n) || n > kMaxRecordObjects || static_cast<std::size_t>(n) * 4 > r.left()) return false;
    out->objects.clear();
    out->objects.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::string s;
        if (!r.str(&s)) return false;
        out->objects.push_back(std::move(s));
    }
    if (!r.u32(&n) || n > kMaxRecordObjects || static_cast<std::size_t>(n) * 4 > r.left()) return false;
    out->object_oids.clear();
    out->object_oids.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t oid;
        if (!r.u32(&oid)) return false;
        out->object_oids.push_back(oid);
    }
    return r.left() == 0;
}

std::uint32_t record_length_prefix(const void* data, std::size_t len) {
    if (data == nullptr || len < 4) return 0;
    const unsigned char* p = static_cast<const unsigned char*>(data);
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace agentguard
