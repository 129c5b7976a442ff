#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "policy/decimal.h"
#include "report/internal.h"

namespace actledger::report::internal {

Result<Stmt> Stmt::Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &s,
                         nullptr) != SQLITE_OK) {
    return IoError(std::string("index query failed to prepare: ") +
                   sqlite3_errmsg(db));
  }
  return Stmt(db, s);
}

Stmt::Stmt(Stmt&& other) noexcept : db_(other.db_), s_(other.s_) {
  other.s_ = nullptr;
}

Stmt::~Stmt() {
  if (s_ != nullptr) sqlite3_finalize(s_);
}

void Stmt::Bind(int i, const std::string& text) {
  sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
}

void Stmt::Bind(int i, int64_t value) { sqlite3_bind_int64(s_, i, value); }

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return IoError(std::string("index query failed: ") + sqlite3_errmsg(db_));
}

bool Stmt::IsNull(int c) const {
  return sqlite3_column_type(s_, c) == SQLITE_NULL;
}

int64_t Stmt::Int(int c) const { return sqlite3_column_int64(s_, c); }

std::optional<int64_t> Stmt::OptInt(int c) const {
  if (IsNull(c)) return std::nullopt;
  return sqlite3_column_int64(s_, c);
}

std::string_view Stmt::View(int c) const {
  const unsigned char* t = sqlite3_column_text(s_, c);
  if (t == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(t),
                          static_cast<size_t>(sqlite3_column_bytes(s_, c)));
}

std::string Stmt::Text(int c) const { return std::string(View(c)); }

Where ActionsWhere(const index::QueryFilter& f) {
  return index::FilterWhere(f, "a.", "a.first_recorded_at_us");
}

// --- Exact decimals ---------------------------------------------------------

namespace {

// Magnitudes as digit strings of equal length (most significant first).
int CompareMagnitude(const std::string& a, const std::string& b) {
  assert(a.size() == b.size());
  return a.compare(b);
}

std::string AddMagnitude(const std::string& a, const std::string& b) {
  assert(a.size() == b.size());
  std::string out(a.size() + 1, '0');
  int carry = 0;
  for (size_t i = a.size(); i-- > 0;) {
    const int d = (a[i] - '0') + (b[i] - '0') + carry;
    out[i + 1] = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  out[0] = static_cast<char>('0' + carry);
  return out;
}

// Precondition: a >= b.
std::string SubtractMagnitude(const std::string& a, const std::string& b) {
  assert(a.size() == b.size());
  std::string out(a.size(), '0');
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = (a[i] - '0') - (b[i] - '0') - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 10;
    out[i] = static_cast<char>('0' + d);
  }
  return out;
}

struct Signed {
  bool negative = false;
  std::string int_digits;   // no leading zeros ("" for 0)
  std::string frac_digits;  // no trailing zeros
};

std::string Format(const Signed& v) {
  std::string frac = v.frac_digits;
  if (frac.size() < 2) frac.append(2 - frac.size(), '0');
  std::string out = v.negative ? "-" : "";
  out += v.int_digits.empty() ? "0" : v.int_digits;
  out += '.';
  out += frac;
  return out;
}

Signed Normalize(bool negative, std::string ints, std::string fracs) {
  size_t lead = ints.find_first_not_of('0');
  ints = lead == std::string::npos ? "" : ints.substr(lead);
  while (!fracs.empty() && fracs.back() == '0') fracs.pop_back();
  return {negative && !(ints.empty() && fracs.empty()), ints, fracs};
}

Signed AddSigned(const Signed& a, const Signed& b) {
  const size_t ni = std::max(a.int_digits.size(), b.int_digits.size());
  const size_t nf = std::max(a.frac_digits.size(), b.frac_digits.size());
  auto pad = [&](const Signed& v) {
    return std::string(ni - v.int_digits.size(), '0') + v.int_digits +
           v.frac_digits + std::string(nf - v.frac_digits.size(), '0');
  };
  const std::string ma = pad(a), mb = pad(b);
  std::string digits;
  bool negative = false;
  size_t int_len = ni;
  if (a.negative == b.negative) {
    digits = AddMagnitude(ma, mb);
    negative = a.negative;
    int_len = ni + 1;
  } else if (CompareMagnitude(ma, mb) >= 0) {
    digits = SubtractMagnitude(ma, mb);
    negative = a.negative;
  } else {
    digits = SubtractMagnitude(mb, ma);
    negative = b.negative;
  }
  return Normalize(negative, digits.substr(0, int_len), digits.substr(int_len));
}

std::optional<Signed> ParseSigned(std::string_view text) {
  std::optional<policy::Decimal> d = policy::Decimal::Parse(text);
  if (!d) return std::nullopt;
  return Signed{d->negative, std::string(d->int_digits),
                std::string(d->frac_digits)};
}

Signed FromMicros(int64_t micros) {
  const bool negative = micros < 0;
  // Two's complement: the magnitude of INT64_MIN fits in uint64_t.
  uint64_t m = negative ? 0 - static_cast<uint64_t>(micros)
                        : static_cast<uint64_t>(micros);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + m % 10));
    m /= 10;
  } while (m != 0);
  if (digits.size() < 7) digits.insert(0, 7 - digits.size(), '0');
  return Normalize(negative, digits.substr(0, digits.size() - 6),
                   digits.substr(digits.size() - 6));
}

}  // namespace

std::optional<std::string> AddDecimals(const std::vector<std::string>& values) {
  Signed sum;
  for (const std::string& v : values) {
    std::optional<Signed> s = ParseSigned(v);
    if (!s) return std::nullopt;
    sum = AddSigned(sum, *s);
  }
  return Format(sum);
}

void MoneyTotals::Add(const std::string& currency,
                      std::optional<int64_t> micros,
                      std::string_view value_text) {
  Sum& s = sums_[currency];
  ++s.count;
  if (micros.has_value()) {
    int64_t next = 0;
    if (__builtin_add_overflow(s.micros, *micros, &next)) {
      s.exact.push_back(Format(FromMicros(s.micros)));
      s.micros = *micros;
    } else {
      s.micros = next;
    }
  } else {
    s.exact.emplace_back(value_text);
  }
}

std::map<std::string, std::string> MoneyTotals::Totals() const {
  std::map<std::string, std::string> out;
  for (const auto& [currency, s] : sums_) {
    Signed total = FromMicros(s.micros);
    for (const std::string& v : s.exact) {
      // The index stores only decimal text here (validated at ingest);
      // anything else would not be money and is left out of the sum.
      if (std::optional<Signed> d = ParseSigned(v))
        total = AddSigned(total, *d);
    }
    out[currency] = Format(total);
  }
  return out;
}

std::map<std::string, uint64_t> MoneyTotals::Counts() const {
  std::map<std::string, uint64_t> out;
  for (const auto& [currency, s] : sums_) out[currency] = s.count;
  return out;
}

std::string MoneyTotals::ToText() const {
  std::string out;
  for (const auto& [currency, total] : Totals()) {
    if (!out.empty()) out += "; ";
    out += total + " " + currency;
  }
  return out;
}

// --- Time and labels --------------------------------------------------------

int64_t ToMicros(UtcTime t) { return t.seconds * 1000000 + t.nanos / 1000; }

std::string FormatMicros(int64_t us) {
  int64_t secs = us / 1000000;
  int64_t rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --secs;
  }
  const UtcTime t{secs, static_cast<int32_t>(rem * 1000)};
  const int digits = rem == 0 ? 0 : rem % 1000 == 0 ? 3 : 6;
  return FormatRfc3339Utc(t, digits);
}

std::string PeriodLabel(int64_t us, std::string_view period) {
  int64_t secs = us / 1000000;
  if (us % 1000000 < 0) --secs;
  int64_t days = secs / 86400;
  if (secs % 86400 < 0) --days;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  char buf[32];
  if (period == "week") {
    // ISO 8601: weeks start on Monday; a week belongs to the year of its
    // Thursday. 1970-01-01 was a Thursday.
    const int64_t weekday = ((days + 3) % 7 + 7) % 7;  // Monday = 0
    const int64_t thursday = days - weekday + 3;
    CivilFromDays(thursday, &y, &m, &d);
    const int64_t week = (thursday - DaysFromCivil(y, 1, 1)) / 7 + 1;
    std::snprintf(buf, sizeof buf, "%04lld-W%02lld", static_cast<long long>(y),
                  static_cast<long long>(week));
    return buf;
  }
  CivilFromDays(days, &y, &m, &d);
  if (period == "day") {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u",
                  static_cast<long long>(y), m, d);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(y), m);
  }
  return buf;
}

std::string Ratio(uint64_t num, uint64_t den) {
  if (den == 0) return "";
  // Rounded half up to four decimals in integer arithmetic.
  // Counts of actions stay far below 2^64 / 20000.
  const uint64_t v = (num * 20000 + den) / (2 * den);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%04llu",
                static_cast<unsigned long long>(v / 10000),
                static_cast<unsigned long long>(v % 10000));
  return buf;
}

Approval ClassifyApproval(std::string_view approval_mode,
                          std::string_view gate_decision,
                          std::string_view approval_decision,
                          std::optional<int64_t> gate_expires_at_us,
                          int64_t now_us) {
  if (gate_decision == "deny") return Approval::kDenied;
  if (approval_decision == "reject") return Approval::kRejected;
  if (approval_decision == "approve") return Approval::kHumanApproved;
  if (approval_mode == "rule") return Approval::kAutoApproved;
  if (gate_decision == "pending_approval") {
    return gate_expires_at_us && *gate_expires_at_us <= now_us
               ? Approval::kExpired
               : Approval::kPending;
  }
  if (approval_mode == "none") return Approval::kNoApproval;
  if (approval_mode == "human") return Approval::kPending;
  return Approval::kNotRecorded;
}

}  // namespace actledger::report::internal
