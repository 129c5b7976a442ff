#include "gen/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actledger::gen {
namespace {

using json::Value;

// The article's "2-5 kilobytes of JSON", measured on the canonical bytes.
constexpr size_t kMinRecordBytes = 2048;
constexpr size_t kMaxRecordBytes = 5120;

// ---------------------------------------------------------------------------
// Randomness. std:: distributions are never used: their output differs
// between standard libraries, and a seed must give the same records
// everywhere.

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(&seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), without modulo bias. Precondition: n > 0.
  uint64_t Below(uint64_t n) {
    assert(n > 0);
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t r = Next();
      if (r >= threshold) return r % n;
    }
  }

  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    assert(lo <= hi);
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1), 53 bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }

  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

  // An index drawn with probability proportional to its weight.
  size_t Weighted(std::initializer_list<int> weights) {
    int total = 0;
    for (int w : weights) total += w;
    int64_t r = Range(0, total - 1);
    size_t i = 0;
    for (int w : weights) {
      if (r < w) return i;
      r -= w;
      ++i;
    }
    return weights.size() - 1;
  }

  // Skewed toward low indices, so that some subjects recur often.
  size_t Skewed(size_t n) {
    const double u = Unit();
    return std::min(n - 1, static_cast<size_t>(static_cast<double>(n) * u * u));
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4] = {};
};

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kUpperAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

std::string Chars(Rng& rng, size_t n, std::string_view alphabet) {
  std::string out(n, '0');
  for (char& c : out) c = alphabet[rng.Below(alphabet.size())];
  return out;
}
std::string Hex(Rng& rng, size_t n) { return Chars(rng, n, kHexDigits); }
std::string B62(Rng& rng, size_t n) { return Chars(rng, n, kBase62); }

// A stable 64-hex digest of a name; stands in for the SHA-256 of a prompt
// template's text, which this generator does not have.
std::string StableHex64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  std::string out;
  for (int i = 0; i < 4; ++i) out += fmt::format("{:016x}", SplitMix64(&h));
  return out;
}

// ---------------------------------------------------------------------------
// Time and money formatting.

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// RFC 3339 UTC: "2026-01-05T08:00:03.120Z", or without the fraction when
// the instant is a whole second.
std::string Rfc3339(int64_t unix_ms) {
  const int64_t secs = FloorDiv(unix_ms, 1000);
  const int64_t ms = unix_ms - secs * 1000;
  const int64_t days = FloorDiv(secs, 86400);
  const int64_t sod = secs - days * 86400;
  const CivilDate d = CivilFromDays(days);
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", d.year, d.month, d.day,
                  sod / 3600, sod / 60 % 60, sod % 60);
  if (ms != 0) out += fmt::format(".{:03}", ms);
  out += 'Z';
  return out;
}

std::string DateOnly(int64_t unix_ms) {
  const CivilDate d = CivilFromDays(FloorDiv(unix_ms, 86400000));
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

std::string DateCompact(int64_t unix_ms) {
  const CivilDate d = CivilFromDays(FloorDiv(unix_ms, 86400000));
  return fmt::format("{:04}{:02}{:02}", d.year, d.month, d.day);
}

int64_t YearOf(int64_t unix_ms) {
  return CivilFromDays(FloorDiv(unix_ms, 86400000)).year;
}

// Exact decimal text of an amount in minor units: 34000 -> "340.00".
std::string Money(int64_t cents) {
  assert(cents >= 0);
  return fmt::format("{}.{:02}", cents / 100, cents % 100);
}

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// ---------------------------------------------------------------------------
// JSON construction shorthands.

Value S(std::string s) { return Value::String(std::move(s)); }
Value N(double d) { return Value::Number(d); }
Value I(int64_t i) {
  assert(i > -(int64_t{1} << 53) && i < (int64_t{1} << 53));
  return Value::Number(static_cast<double>(i));
}
Value B(bool b) { return Value::Bool(b); }
Value O(Value::Object members) { return Value::MakeObject(std::move(members)); }
Value A(Value::Array items) { return Value::MakeArray(std::move(items)); }
// A score or confidence with three decimals, e.g. 0.873.
Value Milli(int64_t thousandths) {
  return N(static_cast<double>(thousandths) / 1000.0);
}
Value MoneyValue(int64_t cents, std::string_view currency) {
  return O(
      {{"value", S(Money(cents))}, {"currency", S(std::string(currency))}});
}

// ---------------------------------------------------------------------------
// Catalogues.

struct Name {
  const char* display;
  const char* ascii;
};

constexpr Name kFirstNames[] = {
    {"Maria", "maria"},   {"James", "james"},   {"Zoë", "zoe"},
    {"José", "jose"},     {"Aisha", "aisha"},   {"Liam", "liam"},
    {"Priya", "priya"},   {"Wei", "wei"},       {"Fatima", "fatima"},
    {"Lukas", "lukas"},   {"Sofia", "sofia"},   {"Noah", "noah"},
    {"Amélie", "amelie"}, {"Oliver", "oliver"}, {"Hannah", "hannah"},
    {"Mateo", "mateo"},   {"Yuki", "yuki"},     {"Emma", "emma"},
    {"Kwame", "kwame"},   {"Ingrid", "ingrid"}, {"Rahul", "rahul"},
    {"Chloé", "chloe"},   {"Daniel", "daniel"}, {"Olivia", "olivia"},
};

constexpr Name kLastNames[] = {
    {"García", "garcia"},   {"Smith", "smith"},    {"Müller", "mueller"},
    {"Okafor", "okafor"},   {"Nguyen", "nguyen"},  {"Johansson", "johansson"},
    {"Rossi", "rossi"},     {"Dubois", "dubois"},  {"Kowalski", "kowalski"},
    {"Patel", "patel"},     {"O'Brien", "obrien"}, {"Tanaka", "tanaka"},
    {"Schmidt", "schmidt"}, {"Brown", "brown"},    {"Silva", "silva"},
    {"Jensen", "jensen"},   {"Novak", "novak"},    {"Walsh", "walsh"},
    {"Haddad", "haddad"},   {"Lee", "lee"},
};

struct Country {
  const char* code;
  const char* currency;
  const char* locale;
  const char* cloud_region;
  bool gdpr;
  int weight;
};

constexpr Country kCountries[] = {
    {"US", "USD", "en-US", "us-east-1", false, 54},
    {"CA", "USD", "en-CA", "us-east-1", false, 4},
    {"AU", "USD", "en-AU", "us-west-2", false, 3},
    {"GB", "GBP", "en-GB", "eu-west-2", true, 15},
    {"IE", "EUR", "en-IE", "eu-west-1", true, 3},
    {"DE", "EUR", "de-DE", "eu-central-1", true, 9},
    {"FR", "EUR", "fr-FR", "eu-west-3", true, 6},
    {"NL", "EUR", "nl-NL", "eu-west-1", true, 3},
    {"ES", "EUR", "es-ES", "eu-south-2", true, 2},
    {"IT", "EUR", "it-IT", "eu-south-1", true, 1},
};

const Country& PickCountry(Rng& rng) {
  int total = 0;
  for (const Country& c : kCountries) total += c.weight;
  int64_t r = rng.Range(0, total - 1);
  for (const Country& c : kCountries) {
    if (r < c.weight) return c;
    r -= c.weight;
  }
  return kCountries[0];
}

constexpr const char* kMailDomains[] = {
    "gmail.com", "outlook.com", "yahoo.com",      "icloud.com",
    "proton.me", "web.de",      "btinternet.com", "orange.fr",
    "gmx.net",   "hotmail.com", "fastmail.com",   "live.co.uk",
};

constexpr const char* kCompanyHeads[] = {
    "Northwind", "Bluefin", "Cedar",   "Harbor",      "Summit",  "Lumen",
    "Copper",    "Atlas",   "Pioneer", "Meridian",    "Redwood", "Silverline",
    "Kestrel",   "Orchid",  "Granite", "Brightwater",
};

constexpr const char* kCompanyTails[] = {
    "Analytics", "Logistics", "Health",     "Labs",    "Foods",
    "Robotics",  "Capital",   "Software",   "Supply",  "Media",
    "Energy",    "Dental",    "Outfitters", "Systems",
};

constexpr const char* kIndustries[] = {
    "software",      "logistics",          "healthcare", "retail",
    "manufacturing", "financial services", "education",  "hospitality",
};

constexpr const char* kTitles[] = {
    "Head of Operations",       "VP Engineering",
    "Finance Director",         "IT Manager",
    "Procurement Lead",         "COO",
    "Customer Success Manager", "Data Platform Lead",
};

// The company running the agents.
constexpr const char* kCorpDomain = "northpeak.io";

struct Approver {
  const char* id;
  const char* role;
};

constexpr Approver kSupportApprovers[] = {{"usr_jmartin", "support_lead"},
                                          {"usr_pokafor", "support_lead"},
                                          {"usr_lchen", "support_manager"}};
constexpr Approver kFinanceApprovers[] = {{"usr_rsingh", "finance_manager"},
                                          {"usr_amueller", "controller"}};
constexpr Approver kCxApprovers[] = {{"usr_kwalsh", "cx_team_lead"},
                                     {"usr_dnovak", "cx_senior_agent"},
                                     {"usr_tsilva", "cx_team_lead"}};
constexpr Approver kLegalApprovers[] = {{"usr_hjensen", "legal_counsel"},
                                        {"usr_mrossi", "procurement_manager"}};
constexpr Approver kPrivacyApprovers[] = {
    {"usr_ebrown", "privacy_officer"}, {"usr_fhaddad", "data_protection_lead"}};
constexpr Approver kSalesOpsApprovers[] = {{"usr_ytanaka", "sales_ops_manager"},
                                           {"usr_ogarcia", "revops_analyst"}};
// People who instruct agents; disjoint from the approvers, so that no one
// approves an action they asked for (separation of duties).
constexpr const char* kSupportAgents[] = {"usr_bkowalski", "usr_cnguyen",
                                          "usr_mpatel", "usr_sjohansson"};
constexpr const char* kProcurementStaff[] = {"usr_gschmidt", "usr_wlee"};
constexpr Approver kClinicalApprovers[] = {{"usr_ndubois", "care_coordinator"},
                                           {"usr_spatel", "clinical_lead"}};

// ---------------------------------------------------------------------------
// Deployments: one AI use case each, with its model history, prompt
// template and application.

struct ModelStep {
  const char* provider;
  const char* name;
  const char* version;
  // In rollout periods since the start of the simulation.
  double from_period;
};

constexpr ModelStep kRefundModels[] = {
    {"openai", "gpt-4o", "gpt-4o-2024-08-06", 0},
    {"openai", "gpt-4o", "gpt-4o-2024-11-20", 0.6},
    {"openai", "gpt-4.1", "gpt-4.1-2025-04-14", 9}};
constexpr ModelStep kEmailModels[] = {
    {"anthropic", "claude-3-5-sonnet", "claude-3-5-sonnet-20240620", 0},
    {"anthropic", "claude-3-5-sonnet", "claude-3-5-sonnet-20241022", 1.3},
    {"anthropic", "claude-3-7-sonnet", "claude-3-7-sonnet-20250219", 10}};
constexpr ModelStep kPipelineModels[] = {
    {"openai", "gpt-4o", "gpt-4o-2024-08-06", 0},
    {"openai", "gpt-4o", "gpt-4o-2024-11-20", 0.8}};
constexpr ModelStep kLeadModels[] = {
    {"openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 0},
    {"anthropic", "claude-3-5-haiku", "claude-3-5-haiku-20241022", 2.2}};
constexpr ModelStep kContractModels[] = {
    {"anthropic", "claude-3-5-sonnet", "claude-3-5-sonnet-20241022", 0},
    {"anthropic", "claude-3-7-sonnet", "claude-3-7-sonnet-20250219", 4}};
constexpr ModelStep kHygieneModels[] = {
    {"openai", "gpt-4o", "gpt-4o-2024-08-06", 0},
    {"openai", "gpt-4o", "gpt-4o-2024-11-20", 0.5}};
constexpr ModelStep kOpsModels[] = {
    {"openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 0},
    {"openai", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", 3}};
constexpr ModelStep kClinicModels[] = {
    {"anthropic", "claude-3-5-sonnet", "claude-3-5-sonnet-20241022", 0}};

// Fraction of a period over which a new model version is canaried in.
constexpr double kCanaryPeriods = 0.1;

struct Deployment {
  const char* app;
  int app_minor;
  const char* workflow;
  const char* team;
  const char* prompt_id;
  int prompt_major;
  int prompt_minor;
  double prompt_phase;  // periods
  std::span<const ModelStep> models;
};

enum DeploymentId {
  kRefundAgent,
  kReplyAgent,
  kPipelineAgent,
  kLeadRouter,
  kContractsCopilot,
  kDataHygiene,
  kOpsAssistant,
  kClinicIntake,
};

constexpr Deployment kDeployments[] = {
    {"refund-agent", 14, "refund-triage", "support-ops", "refund-decision", 3,
     2, 0.0, kRefundModels},
    {"cx-reply-agent", 7, "customer-reply", "customer-success",
     "customer-email-reply", 5, 0, 0.5, kEmailModels},
    {"pipeline-agent", 3, "deal-stage-scoring", "revops",
     "opportunity-stage-classifier", 2, 4, 1.0, kPipelineModels},
    {"lead-router", 9, "inbound-lead-routing", "revops", "lead-routing-scorer",
     4, 1, 1.5, kLeadModels},
    {"contracts-copilot", 2, "vendor-contract-maintenance", "legal-ops",
     "contract-clause-editor", 1, 6, 0.3, kContractModels},
    {"data-hygiene-agent", 5, "privacy-and-dedupe", "data-governance",
     "deletion-eligibility", 2, 0, 0.8, kHygieneModels},
    {"ops-assistant", 21, "internal-ops-automation", "it-ops",
     "internal-task-planner", 6, 3, 1.2, kOpsModels},
    {"clinic-intake-agent", 4, "patient-intake", "care-operations",
     "intake-triage", 1, 1, 0.6, kClinicModels},
};

// ---------------------------------------------------------------------------
// Simulated population. Built once per generator; records draw from it with
// a skew, so that the same subjects recur (as they do in an investigation).

struct Customer {
  std::string id;  // Stripe customer id
  std::string account;
  std::string first, name, email, zendesk_user;
  const Country* country = nullptr;
  const char* tier = nullptr;
  int64_t base_age_days = 0;
  int64_t lifetime_cents = 0;
  int64_t orders = 0;
};

struct Lead {
  std::string id, first, name, email, company, domain, crm;
  const Country* country = nullptr;
  const char* title = nullptr;
  const char* industry = nullptr;
  const char* segment = nullptr;
  int64_t employees = 0;
  int64_t base_age_days = 0;
};

struct Vendor {
  std::string id, company, contract_id, contact_email;
  const char* category = nullptr;
  const char* terms = nullptr;
  const Country* country = nullptr;
  int64_t annual_cents = 0;
  int64_t base_age_days = 0;
};

struct Employee {
  std::string id, first, name, email, slack_id;
  const char* department = nullptr;
  const char* title = nullptr;
  const Country* country = nullptr;
  int64_t base_age_days = 0;
};

struct Patient {
  std::string id, mrn, first, name, email;
  const char* clinic = nullptr;
  const char* plan = nullptr;
  int64_t base_age_days = 0;
  int64_t birth_year = 0;
};

struct Rep {
  std::string id, name, email;
  const char* territory = nullptr;
  const char* segment = nullptr;
  bool active = false;
};

std::pair<std::string, std::string> PersonName(Rng& rng, std::string* first,
                                               std::string* ascii_local) {
  const Name& f = rng.Pick(kFirstNames);
  const Name& l = rng.Pick(kLastNames);
  *first = f.display;
  *ascii_local = std::string(f.ascii) + "." + l.ascii;
  return {std::string(f.display) + " " + l.display, *ascii_local};
}

std::string CompanyDomain(std::string_view head, std::string_view tail) {
  std::string out;
  for (char c : head)
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  for (char c : tail)
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out + ".com";
}

// ---------------------------------------------------------------------------
// A piece of free text that can be lengthened or shortened one sentence at a
// time, so that every record lands within the size bounds without padding
// that reads like padding.

struct Text {
  std::string head;
  std::vector<std::string> body;
  std::vector<std::string> spare;  // not yet used, in reading order
  std::string tail;

  // Keeps each candidate with probability `keep`, the rest as spare.
  void Fill(Rng& rng, std::vector<std::string> candidates, double keep) {
    for (std::string& c : candidates) {
      (rng.Chance(keep) ? body : spare).push_back(std::move(c));
    }
  }
  bool Grow() {
    if (spare.empty()) return false;
    body.push_back(std::move(spare.front()));
    spare.erase(spare.begin());
    return true;
  }
  bool Shrink() {
    if (body.empty()) return false;
    spare.insert(spare.begin(), std::move(body.back()));
    body.pop_back();
    return true;
  }
  std::string Join() const {
    std::string out = head;
    for (const std::string& s : body) {
      if (!out.empty()) out += ' ';
      out += s;
    }
    if (!tail.empty()) {
      if (!out.empty()) out += ' ';
      out += tail;
    }
    return out;
  }
};

enum class Part { kModelVersion, kApproval, kAiOutput, kOutcome, kPrompt };

enum class OutcomeStatus { kSuccess, kFailure, kError, kPending };

// Everything one record builder decides; assembled by State::Next().
struct Draft {
  DeploymentId deployment = kOpsAssistant;
  const char* team = nullptr;  // overrides the deployment's team
  const char* risk_class = "log_only";
  const char* cloud_region = "us-east-1";
  Value trigger, ai_output, action, approval, outcome, subject;
  Text reasoning;
  Text excerpt;  // lives in action.params[excerpt_key]
  std::string excerpt_key;
  std::vector<const char*> event_names;  // for action.params.related_events
  std::string event_ref;
};

}  // namespace

// ---------------------------------------------------------------------------

struct Generator::State {
  explicit State(const Options& o);

  Value Next();

  // Record builders, one per action family.
  void Refund(Draft& d);
  void Email(Draft& d);
  void StageUpdate(Draft& d);
  void LeadRoute(Draft& d);
  void ContractUpdate(Draft& d);
  void RecordDelete(Draft& d);
  void ContactDelete(Draft& d);
  void TaskCreate(Draft& d);
  void CalendarCreate(Draft& d);
  void Notify(Draft& d);
  void StatusUpdate(Draft& d);

  // Shared pieces.
  double ElapsedPeriods() const;
  int64_t AgeDays(int64_t base) const { return base + (now - start_ms) / kDay; }
  const ModelStep& ChooseModel(const Deployment& dep);
  Value Trigger(const char* type, std::string source, std::string ref,
                std::string initiated_by);
  Value Human(const Approver& who, int64_t min_ms, int64_t max_ms,
              std::string note = {});
  Value Rule(const char* id, std::string version, std::string note);
  Value NoApproval(const char* note);
  OutcomeStatus PickStatus(int failure_pm, int error_pm, int pending_pm);
  Value Outcome(OutcomeStatus status, std::string external_id, Value response,
                std::string error);
  Value Http(int code);
  Value CustomerSubject(const Customer& c);
  Value LeadSubject(const Lead& l);
  Value EmployeeSubject(const Employee& e);
  std::string ActionId();
  void Incomplete(Value& rec);
  void Fit(Value& rec, Draft& d);
  void AddEvent(const Draft& d, Value& params);

  Options options;
  Rng rng;
  int64_t start_ms;
  int64_t period_ms;
  int64_t now;  // simulated time of the current record, Unix ms
  uint64_t counter = 0;
  int64_t event_back_ms = 0;  // how far back the last related event was

  std::vector<Customer> customers;
  std::vector<Lead> leads;
  std::vector<Vendor> vendors;
  std::vector<Employee> employees;
  std::vector<Patient> patients;
  std::vector<Rep> reps;
};

Generator::State::State(const Options& o)
    : options(o),
      rng(o.seed),
      start_ms(o.start_unix_seconds * 1000),
      period_ms(std::max<int64_t>(1, o.rollout_period_seconds) * 1000),
      now(o.start_unix_seconds * 1000) {
  // A separate stream, so the population does not depend on how many
  // records have been drawn.
  Rng pop(o.seed ^ 0x706f70756c617465ULL);
  constexpr const char* kTiers[] = {"basic", "plus", "premium", "business",
                                    "enterprise"};
  for (int i = 0; i < 600; ++i) {
    Customer c;
    std::string local;
    auto [name, ascii] = PersonName(pop, &c.first, &local);
    c.name = name;
    c.id = "cus_" + B62(pop, 14);
    c.account = fmt::format("ACC-{:06}", pop.Range(10000, 999999));
    c.email = fmt::format(
        "{}{}@{}", ascii,
        pop.Chance(0.5) ? fmt::format("{}", pop.Range(1, 99)) : std::string(),
        pop.Pick(kMailDomains));
    c.zendesk_user = fmt::format("{}", pop.Range(360000000000, 399999999999));
    c.country = &PickCountry(pop);
    c.tier = kTiers[pop.Weighted({18, 30, 30, 15, 7})];
    c.base_age_days = pop.Chance(0.15) ? pop.Range(2, 89) : pop.Range(91, 2600);
    c.orders = pop.Range(1, 60);
    c.lifetime_cents = c.orders * pop.Range(1500, 40000);
    customers.push_back(std::move(c));
  }
  constexpr const char* kSegments[] = {"smb", "mid-market", "enterprise"};
  for (int i = 0; i < 400; ++i) {
    Lead l;
    std::string local;
    auto [name, ascii] = PersonName(pop, &l.first, &local);
    l.name = name;
    const char* head = pop.Pick(kCompanyHeads);
    const char* tail = pop.Pick(kCompanyTails);
    l.company = fmt::format("{} {}", head, tail);
    l.domain = CompanyDomain(head, tail);
    l.email = fmt::format("{}@{}", ascii, l.domain);
    l.crm = pop.Chance(0.6) ? "salesforce" : "hubspot";
    l.id = l.crm == "salesforce"
               ? "00Q" + B62(pop, 15)
               : fmt::format("{}", pop.Range(10000000, 99999999));
    l.country = &PickCountry(pop);
    l.title = pop.Pick(kTitles);
    l.industry = pop.Pick(kIndustries);
    l.segment = kSegments[pop.Weighted({50, 35, 15})];
    l.employees = pop.Range(8, 12000);
    l.base_age_days = pop.Range(0, 240);
    leads.push_back(std::move(l));
  }
  constexpr const char* kCategories[] = {
      "cloud hosting",          "freight logistics",  "office supplies",
      "contract staffing",      "payment processing", "marketing analytics",
      "facilities maintenance", "data enrichment"};
  constexpr const char* kTerms[] = {"Net 15", "Net 30", "Net 45", "Net 60"};
  for (int i = 0; i < 60; ++i) {
    Vendor v;
    const char* head = pop.Pick(kCompanyHeads);
    const char* tail = pop.Pick(kCompanyTails);
    v.company =
        fmt::format("{} {} {}", head, tail, pop.Chance(0.5) ? "Ltd" : "Inc.");
    v.id = fmt::format("VEN-{:05}", pop.Range(100, 99999));
    v.contract_id =
        fmt::format("CTR-{}-{:04}", pop.Range(2021, 2025), pop.Range(1, 9999));
    v.contact_email = "ar@" + CompanyDomain(head, tail);
    v.category = pop.Pick(kCategories);
    v.terms = kTerms[pop.Weighted({10, 55, 20, 15})];
    v.country = &PickCountry(pop);
    v.annual_cents = pop.Range(12000, 2400000) * 100;
    v.base_age_days = pop.Range(120, 3000);
    vendors.push_back(std::move(v));
  }
  constexpr const char* kDepartments[] = {"Support",     "Finance", "Sales",
                                          "Engineering", "People",  "Legal"};
  constexpr const char* kRoles[] = {"Specialist", "Manager",  "Analyst",
                                    "Team Lead",  "Engineer", "Coordinator"};
  for (int i = 0; i < 80; ++i) {
    Employee e;
    std::string local;
    auto [name, ascii] = PersonName(pop, &e.first, &local);
    e.name = name;
    e.id = fmt::format("emp_{:05}", pop.Range(1000, 99999));
    e.email = fmt::format("{}@{}", ascii, kCorpDomain);
    e.slack_id = "U0" + Chars(pop, 9, kUpperAlnum);
    e.department = pop.Pick(kDepartments);
    e.title = pop.Pick(kRoles);
    e.country = &PickCountry(pop);
    e.base_age_days = pop.Range(14, 3200);
    employees.push_back(std::move(e));
  }
  constexpr const char* kClinics[] = {
      "Riverside Family Clinic", "Eastgate Cardiology", "Lakeview Pediatrics"};
  constexpr const char* kPlans[] = {"standard", "chronic-care", "medicare",
                                    "self-pay"};
  for (int i = 0; i < 200; ++i) {
    Patient p;
    std::string local;
    auto [name, ascii] = PersonName(pop, &p.first, &local);
    p.name = name;
    p.id = fmt::format("pat_{:07}", pop.Range(100000, 9999999));
    p.mrn = fmt::format("MRN-{:08}", pop.Range(10000000, 99999999));
    p.email = fmt::format("{}@{}", ascii, pop.Pick(kMailDomains));
    p.clinic = pop.Pick(kClinics);
    p.plan = pop.Pick(kPlans);
    p.base_age_days = pop.Range(1, 4000);
    p.birth_year = pop.Range(1938, 2020);
    patients.push_back(std::move(p));
  }
  constexpr const char* kTerritories[] = {"NA-East",    "NA-West", "EMEA-North",
                                          "EMEA-South", "UK&I",    "APAC"};
  for (int i = 0; i < 14; ++i) {
    Rep r;
    std::string first, local;
    auto [name, ascii] = PersonName(pop, &first, &local);
    r.name = name;
    r.email = fmt::format("{}@{}", ascii, kCorpDomain);
    r.id = "005" + B62(pop, 15);
    r.territory = pop.Pick(kTerritories);
    r.segment = kSegments[pop.Below(3)];
    // One rep left the company; the article's mis-routing incident.
    r.active = i != 5;
    reps.push_back(std::move(r));
  }
}

double Generator::State::ElapsedPeriods() const {
  return static_cast<double>(now - start_ms) / static_cast<double>(period_ms);
}

const ModelStep& Generator::State::ChooseModel(const Deployment& dep) {
  const double p = ElapsedPeriods();
  size_t chosen = 0;
  for (size_t i = 1; i < dep.models.size(); ++i) {
    const double from = dep.models[i].from_period;
    if (p >= from + kCanaryPeriods) {
      chosen = i;
    } else {
      if (p >= from && rng.Chance((p - from) / kCanaryPeriods)) chosen = i;
      break;
    }
  }
  return dep.models[chosen];
}

Value Generator::State::Trigger(const char* type, std::string source,
                                std::string ref, std::string initiated_by) {
  return O({{"type", S(type)},
            {"source", S(std::move(source))},
            {"ref", S(std::move(ref))},
            {"initiated_by", S(std::move(initiated_by))}});
}

Value Generator::State::Human(const Approver& who, int64_t min_ms,
                              int64_t max_ms, std::string note) {
  Value v = O({{"mode", S("human")},
               {"approver", O({{"id", S(who.id)}, {"role", S(who.role)}})},
               {"decided_at", S(Rfc3339(now - rng.Range(min_ms, max_ms)))}});
  if (!note.empty()) v.Set("note", S(std::move(note)));
  return v;
}

Value Generator::State::Rule(const char* id, std::string version,
                             std::string note) {
  return O({{"mode", S("rule")},
            {"rule", O({{"id", S(id)}, {"version", S(std::move(version))}})},
            {"note", S(std::move(note))}});
}

Value Generator::State::NoApproval(const char* note) {
  return O({{"mode", S("none")}, {"note", S(note)}});
}

// Rates are per mille; the rest succeeds.
OutcomeStatus Generator::State::PickStatus(int failure_pm, int error_pm,
                                           int pending_pm) {
  const int64_t r = rng.Range(0, 999);
  if (r < failure_pm) return OutcomeStatus::kFailure;
  if (r < failure_pm + error_pm) return OutcomeStatus::kError;
  if (r < failure_pm + error_pm + pending_pm) return OutcomeStatus::kPending;
  return OutcomeStatus::kSuccess;
}

Value Generator::State::Outcome(OutcomeStatus status, std::string external_id,
                                Value response, std::string error) {
  static constexpr const char* kNames[] = {"success", "failure", "error",
                                           "pending"};
  Value v = O({{"status", S(kNames[static_cast<int>(status)])}});
  if (!external_id.empty()) v.Set("external_id", S(std::move(external_id)));
  v.Set("system_response", std::move(response));
  if (status == OutcomeStatus::kSuccess || status == OutcomeStatus::kFailure) {
    v.Set("confirmed_at", S(Rfc3339(now + rng.Range(90, 2400))));
  }
  if (!error.empty()) v.Set("error", S(std::move(error)));
  return v;
}

Value Generator::State::Http(int code) {
  return O({{"status", I(code)},
            {"request_id", S("req_" + B62(rng, 14))},
            {"latency_ms", I(rng.Range(80, 1900))}});
}

Value Generator::State::CustomerSubject(const Customer& c) {
  return O(
      {{"type", S("customer")},
       {"id", S(c.id)},
       {"attributes", O({{"account_age_days", I(AgeDays(c.base_age_days))},
                         {"country", S(c.country->code)},
                         {"tier", S(c.tier)},
                         {"account_id", S(c.account)},
                         {"orders", I(c.orders)},
                         {"lifetime_spend",
                          MoneyValue(c.lifetime_cents, c.country->currency)},
                         {"gdpr_scope", B(c.country->gdpr)}})}});
}

Value Generator::State::LeadSubject(const Lead& l) {
  return O({{"type", S("lead")},
            {"id", S(l.id)},
            {"attributes", O({{"account_age_days", I(AgeDays(l.base_age_days))},
                              {"country", S(l.country->code)},
                              {"tier", S(l.segment)},
                              {"company", S(l.company)},
                              {"industry", S(l.industry)},
                              {"employees", I(l.employees)},
                              {"gdpr_scope", B(l.country->gdpr)}})}});
}

Value Generator::State::EmployeeSubject(const Employee& e) {
  return O({{"type", S("employee")},
            {"id", S(e.id)},
            {"attributes", O({{"account_age_days", I(AgeDays(e.base_age_days))},
                              {"country", S(e.country->code)},
                              {"tier", S("internal")},
                              {"department", S(e.department)},
                              {"title", S(e.title)}})}});
}

// "act_" + a UUIDv7 layout: 48-bit Unix ms, version 7, 12 random bits,
// variant 10, then 30 random bits and a 32-bit counter (unique per
// generator).
std::string Generator::State::ActionId() {
  const uint64_t ms = static_cast<uint64_t>(now) & 0xffffffffffffULL;
  const uint64_t rand_a = rng.Next() & 0xfff;
  const uint64_t rand_b =
      ((rng.Next() & 0x3fffffffULL) << 32) | (counter & 0xffffffffULL);
  const uint64_t hi = (ms << 16) | (0x7ULL << 12) | rand_a;
  const uint64_t lo = (0x2ULL << 62) | rand_b;
  return fmt::format("act_{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32,
                     (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                     lo & 0xffffffffffffULL);
}

// ---------------------------------------------------------------------------
// payment.refund

namespace {

struct RefundReason {
  const char* code;
  const char* stripe_reason;
  const char* label;
  const char* customer_says;
  const char* evidence;
};

constexpr RefundReason kRefundReasons[] = {
    {"duplicate_charge", "duplicate", "a duplicate charge",
     "I was charged twice for the same order this month, can you please fix "
     "this?",
     "two captures with the same amount on the same card less than 90 seconds "
     "apart"},
    {"not_received", "requested_by_customer", "an order that never arrived",
     "My package never arrived and the tracking page has not updated in 12 "
     "days.",
     "the carrier tracking shows no movement since the label was created"},
    {"outage_credit", "requested_by_customer", "a service outage",
     "Your platform was down for most of Tuesday and we lost a full day of "
     "bookings.",
     "status page incident INC-2291 overlaps the customer's region for 6 hours "
     "and 40 minutes"},
    {"prorated_cancellation", "requested_by_customer",
     "a charge after cancellation",
     "I cancelled my subscription on the 2nd but was billed for the full "
     "month anyway.",
     "the cancellation event was recorded 19 hours before the renewal charge"},
    {"damaged_item", "requested_by_customer", "an item that arrived damaged",
     "The blender arrived with a cracked jar, photos are attached to this "
     "message.",
     "the customer uploaded three photos that show the damage on the jar"},
    {"billing_error", "requested_by_customer", "a billing error",
     "We were charged the annual price even though we are on the monthly "
     "plan.",
     "the plan on record does not match the price id that was charged"},
    {"unrecognized_charge", "fraudulent",
     "a charge the cardholder does not "
     "recognize",
     "I don't recognize this charge on my card statement and nobody in my "
     "family made it.",
     "the card country differs from the account country and the device "
     "fingerprint is new"},
};

int64_t RefundCents(Rng& rng) {
  int64_t cents = 0;
  switch (rng.Weighted({38, 10, 24, 8, 14, 6})) {
    case 0:
      cents = rng.Range(300, 9999);
      break;
    case 1:
      cents = rng.Range(9000, 11000);
      break;  // around 100
    case 2:
      cents = rng.Range(10000, 49999);
      break;
    case 3:
      cents = rng.Range(47500, 52500);
      break;  // around 500
    case 4:
      cents = rng.Range(50000, 99999);
      break;
    default:
      cents = rng.Range(100000, 249999);
      break;
  }
  switch (rng.Weighted({45, 20, 35})) {
    case 0:
      cents = cents / 100 * 100;
      break;  // 340.00
    case 1:
      cents = cents / 100 * 100 + 99;
      break;  // 129.99
    default:
      break;
  }
  return std::max<int64_t>(cents, 100);
}

}  // namespace

void Generator::State::Refund(Draft& d) {
  d.deployment = kRefundAgent;
  d.risk_class = "threshold";
  const Customer& c = customers[rng.Skewed(customers.size())];
  d.cloud_region = c.country->cloud_region;
  const char* cur = c.country->currency;
  const RefundReason& why = rng.Pick(kRefundReasons);
  const int64_t cents = RefundCents(rng);
  const bool partial = rng.Chance(0.3);
  const int64_t original =
      partial ? cents + rng.Range(5, 400) * 100 + rng.Range(0, 1) * 99 : cents;
  const std::string charge = "ch_3" + B62(rng, 23);
  const std::string intent = "pi_3" + B62(rng, 23);
  const std::string invoice =
      fmt::format("INV-{}-{:05}", YearOf(now), rng.Range(1, 99999));
  const int64_t ticket = rng.Range(40000, 99999);
  const int64_t charge_age = rng.Range(1, 45);
  const std::string charged_on = DateOnly(now - charge_age * kDay);
  const std::string amount = Money(cents);
  const int64_t age = AgeDays(c.base_age_days);
  const auto recent_refunds = static_cast<int64_t>(rng.Weighted({70, 22, 8}));
  const std::string last4 = fmt::format("{:04}", rng.Range(0, 9999));
  const char* kind = partial ? "partial" : "full";

  switch (rng.Weighted({62, 22, 16})) {
    case 0: {
      static constexpr const char* kSources[] = {
          "zendesk.ticket.created", "zendesk.ticket.created",
          "intercom.conversation.created", "stripe.charge.dispute.created"};
      const char* source = rng.Pick(kSources);
      d.trigger =
          Trigger("event", source, fmt::format("zendesk:ticket/{}", ticket),
                  "integration:zendesk-webhook");
      break;
    }
    case 1:
      d.trigger = Trigger("user_instruction", "zendesk.macro.ai_refund",
                          fmt::format("zendesk:ticket/{}", ticket),
                          fmt::format("user:{}", rng.Pick(kSupportAgents)));
      break;
    default:
      d.trigger =
          Trigger("scheduled", "scheduler.cron.sla_credit_sweep",
                  fmt::format("cron:refund-sla-sweep/{}", DateCompact(now)),
                  "scheduler:refund-sla-sweep");
      break;
  }

  const int64_t confidence = rng.Range(720, 990);
  d.ai_output =
      O({{"decision",
          S(fmt::format("issue {} refund of {} {}", kind, amount, cur))},
         {"confidence", Milli(confidence)},
         {"scores", O({{"policy_match", Milli(rng.Range(700, 990))},
                       {"fraud_risk", Milli(rng.Range(5, 280))},
                       {"refund_eligibility", Milli(rng.Range(650, 990))},
                       {"churn_risk", Milli(rng.Range(50, 700))}})}});

  d.reasoning.head = fmt::format(
      "The customer reports {} on invoice {} and asks for a refund of {} {}.",
      why.label, invoice, amount, cur);
  d.reasoning.Fill(
      rng,
      {fmt::format("Stripe shows charge {} for {} {} captured on {}, and no "
                   "refund has been issued against it yet.",
                   charge, Money(original), cur, charged_on),
       fmt::format("Evidence in the ticket history: {}.", why.evidence),
       fmt::format("The account is {} days old on the {} plan with {} orders "
                   "and {} refund(s) in the last 90 days, which is within the "
                   "normal range for this segment.",
                   age, c.tier, c.orders, recent_refunds),
       partial ? fmt::format("A partial refund of {} out of {} {} covers only "
                             "the affected portion of the invoice; the rest "
                             "of the order was delivered and used.",
                             amount, Money(original), cur)
               : fmt::format("A full refund is appropriate because nothing "
                             "on invoice {} was delivered as described.",
                             invoice),
       fmt::format("Refund policy section 3.2 allows refunds for this reason "
                   "within 60 days of the charge; the charge is {} days old.",
                   charge_age),
       // One sentence wrapped over two lines, not two items:
       // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
       "Fraud risk is low: the payment method matches the one on file and "
       "there is no open dispute on the charge.",
       "The customer is frustrated but polite, and no chargeback has been "
       "filed yet, so resolving quickly also avoids a dispute fee.",
       cents < 10000
           ? "The amount is below the 100.00 threshold for automatic approval "
             "under the small-refund rule if the account is older than 90 "
             "days."
           : (cents < 50000 ? "The amount is between 100.00 and 500.00, so "
                              "a rule or a support lead must approve it."
                            : "The amount is above 500.00, so a finance "
                              "manager must approve it before execution.")},
      0.55);
  d.reasoning.tail = fmt::format(
      "Recommendation: issue a {} refund of {} {} to the original payment "
      "method and reply to ticket #{} with the confirmation.",
      kind, amount, cur, ticket);

  d.excerpt_key = "ticket_excerpt";
  d.excerpt.head = why.customer_says;
  d.excerpt.Fill(rng,
                 {fmt::format("The invoice number is {}.", invoice),
                  fmt::format("I have been a customer for about {} years and "
                              "this is the first time I've had to ask.",
                              std::max<int64_t>(1, age / 365)),
                  fmt::format("Please put the money back on the card ending "
                              "{}.",
                              last4),
                  fmt::format("I already wrote to you on {} but nobody "
                              "replied.",
                              DateOnly(now - rng.Range(2, 9) * kDay)),
                  fmt::format("Thanks, {}", c.first)},
                 0.4);
  d.event_names = {"zendesk.ticket.comment_added", "stripe.charge.succeeded",
                   "zendesk.ticket.assigned", "stripe.invoice.paid",
                   "zendesk.satisfaction.rated"};
  d.event_ref = fmt::format("zendesk:ticket/{}", ticket);

  d.action =
      O({{"type", S("payment.refund")},
         {"system", S("stripe")},
         {"target", S(charge)},
         {"recipient", S(c.id)},
         {"amount", MoneyValue(cents, cur)},
         {"params",
          O({{"charge", S(charge)},
             {"payment_intent", S(intent)},
             {"invoice", S(invoice)},
             {"reason", S(why.stripe_reason)},
             {"reason_detail", S(why.code)},
             {"refund_type", S(kind)},
             {"original_amount", MoneyValue(original, cur)},
             {"ticket", S(fmt::format("zendesk:ticket/{}", ticket))},
             {"idempotency_key", S("rf_" + Hex(rng, 24))},
             {"refund_to", S(fmt::format("card ending {}", last4))},
             {"metadata", O({{"ticket_id", S(fmt::format("{}", ticket))},
                             {"initiated_by_app", S("refund-agent")}})}})}});

  // Thresholds of the article: small refunds to established customers are
  // auto-approved by T-2026-03; mid-size ones for business tiers by
  // T-2026-05; everything else by a person.
  const bool business = std::string_view(c.tier) == "business" ||
                        std::string_view(c.tier) == "enterprise";
  if (cents < 10000 && age > 90) {
    d.approval = Rule("T-2026-03", ElapsedPeriods() < 5 ? "2" : "3",
                      "auto-approved: refund below 100.00 to a customer with "
                      "account age over 90 days");
  } else if (cents < 50000 && business) {
    d.approval = Rule("T-2026-05", "1",
                      "auto-approved: refund below 500.00 on a business or "
                      "enterprise account, post-hoc review weekly");
  } else if (cents < 50000) {
    d.approval = Human(rng.Pick(kSupportApprovers), 20 * 1000, 40 * kMinute,
                       rng.Chance(0.3) ? "checked order history before "
                                         "approving"
                                       : "");
  } else {
    d.approval = Human(rng.Pick(kFinanceApprovers), 2 * kMinute, 3 * kHour,
                       rng.Chance(0.4) ? "large refund, confirmed against "
                                         "the invoice and delivery record"
                                       : "");
  }

  const OutcomeStatus st = PickStatus(25, 15, 15);
  const std::string refund_id = "re_3" + B62(rng, 23);
  Value resp = O({{"http", Http(st == OutcomeStatus::kError ? 503 : 200)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess || st == OutcomeStatus::kPending) {
    resp.Set("refund",
             O({{"id", S(refund_id)},
                {"object", S("refund")},
                {"amount", I(cents)},
                {"currency", S(std::string(cur) == "USD"   ? "usd"
                               : std::string(cur) == "EUR" ? "eur"
                                                           : "gbp")},
                {"charge", S(charge)},
                {"payment_intent", S(intent)},
                {"balance_transaction", S("txn_3" + B62(rng, 23))},
                {"created", I(now / 1000)},
                {"reason", S(why.stripe_reason)},
                {"status",
                 S(st == OutcomeStatus::kSuccess ? "succeeded" : "pending")},
                {"receipt_number", S(fmt::format("{}-{}", rng.Range(1000, 9999),
                                                 rng.Range(1000, 9999)))}}));
  } else if (st == OutcomeStatus::kFailure) {
    switch (rng.Below(3)) {
      case 0:
        error = fmt::format(
            "charge_already_refunded: Charge {} has already "
            "been refunded.",
            charge);
        break;
      case 1:
        error = fmt::format(
            "amount_too_large: Refund amount ({} {}) is "
            "greater than unrefunded amount on charge ({} {}).",
            amount, cur, Money(cents / 2), cur);
        break;
      default:
        error = fmt::format(
            "charge_disputed: Charge {} has been charged "
            "back; a refund cannot be issued.",
            charge);
        break;
    }
    resp.Set("error", O({{"type", S("invalid_request_error")},
                         {"code", S(error.substr(0, error.find(':')))},
                         {"param", S("amount")}}));
    resp.Find("http")->Set("status", I(400));
  } else {
    error =
        "POST /v1/refunds timed out after 30000 ms (HTTP 503 from "
        "api.stripe.com); retry with the same idempotency key scheduled";
  }
  d.outcome =
      Outcome(st,
              st == OutcomeStatus::kSuccess || st == OutcomeStatus::kPending
                  ? refund_id
                  : std::string(),
              std::move(resp), std::move(error));
  d.subject = CustomerSubject(c);
}

// ---------------------------------------------------------------------------
// email.send

void Generator::State::Email(Draft& d) {
  d.risk_class = "human_approval";
  const int64_t ticket = rng.Range(40000, 99999);
  std::string to, first, subject_line, template_id, locale = "en-US";
  const bool patient = rng.Chance(0.12);
  if (patient) {
    d.deployment = kClinicIntake;
    const Patient& p = patients[rng.Skewed(patients.size())];
    to = p.email;
    first = p.first;
    const std::string when = DateOnly(now + rng.Range(2, 14) * kDay);
    subject_line = fmt::format("Your appointment at {} on {}", p.clinic, when);
    template_id = "clinic/appointment-followup";
    d.subject =
        O({{"type", S("patient")},
           {"id", S(p.id)},
           {"attributes", O({{"account_age_days", I(AgeDays(p.base_age_days))},
                             {"country", S("US")},
                             {"tier", S(p.plan)},
                             {"mrn", S(p.mrn)},
                             {"clinic", S(p.clinic)},
                             {"birth_year", I(p.birth_year)}})}});
    d.trigger = Trigger(
        "event", "athenahealth.appointment.completed",
        fmt::format("athenahealth:encounter/{}", rng.Range(1000000, 9999999)),
        "integration:athenahealth-subscriber");
    d.reasoning.head = fmt::format(
        "The visit notes for {} ask for a follow-up appointment within two "
        "weeks, and no appointment is booked yet.",
        first);
    d.reasoning.Fill(
        rng,
        {"The message only contains the appointment date, the clinic name and "
         "a link to the patient portal; no diagnosis or medication details "
         "are included, in line with the minimum-necessary standard.",
         "The patient's stated contact preference is email, recorded at "
         "intake.",
         fmt::format("The proposed date {} is the first free slot with the "
                     "same provider.",
                     when),
         "A reminder sent by email has a higher show rate for this clinic "
         "than a phone call, according to last quarter's report."},
        0.6);
    d.reasoning.tail =
        "Recommendation: send the follow-up email and mark the care gap as "
        "outreach started.";
    d.excerpt.head = fmt::format(
        "Hello {}, your care team at {} would like to see you again soon.",
        first, p.clinic);
    d.excerpt.Fill(rng,
                   {fmt::format("We have reserved {} for you; please confirm "
                                "or pick another time in the patient portal.",
                                when),
                    "If you have questions before your visit, reply to this "
                    "message or call the front desk.",
                    "Please bring your insurance card and a list of your "
                    "current medications.",
                    "This message was sent from an address that is monitored "
                    "during clinic hours."},
                   0.5);
  } else {
    d.deployment = kReplyAgent;
    const Customer& c = customers[rng.Skewed(customers.size())];
    to = c.email;
    first = c.first;
    locale = c.country->locale;
    d.cloud_region = c.country->cloud_region;
    d.subject = CustomerSubject(c);
    struct Issue {
      const char* topic;  // what the customer reported, third person
      const char* cause;
      const char* fix;
    };
    static constexpr Issue kIssues[] = {
        {"calendar sync stopped working",
         "an expired OAuth token on the Google Calendar connection",
         "reconnected the integration and replayed the missed events"},
        {"the invoice shows the wrong VAT number",
         "the VAT id was saved on the billing contact instead of the account",
         "issued a corrected invoice with the right VAT number"},
        {"they cannot log in after a password reset",
         "the reset link was opened in a different browser than the one that "
         "requested it",
         "cleared the stale session so a new reset link will work"},
        {"the CSV export is missing columns",
         "a custom field that was renamed last week",
         "restored the column mapping for your workspace"},
        {"their order is delayed",
         "a carrier capacity problem at the regional hub",
         "upgraded the shipment to express at no cost"},
    };
    const std::string tk = fmt::format("zendesk:ticket/{}", ticket);
    const std::string greeting = fmt::format("Hi {},", first);
    const std::vector<std::string> common = {
        "No personal data other than the customer's first name and the "
        "ticket number appears in the body.",
        fmt::format("The customer's locale is {}, so dates are written in "
                    "that format and the tone is kept formal.",
                    locale),
        "The message does not promise any refund or credit beyond what "
        "policy CX-7 allows."};
    std::vector<std::string> why;
    switch (rng.Weighted({55, 20, 15, 10})) {
      case 0: {
        const Issue& issue = rng.Pick(kIssues);
        subject_line = fmt::format("Re: [#{}] {}", ticket, issue.topic);
        template_id = "cx/ticket-reply";
        d.trigger = Trigger("event", "zendesk.ticket.updated", tk,
                            "integration:zendesk-webhook");
        d.reasoning.head = fmt::format(
            "{} ({} plan, {}) wrote in because {}; the reply answers that "
            "directly.",
            first, c.tier, c.country->code, issue.topic);
        why = {fmt::format("The ticket history shows the root cause was {}, "
                           "and knowledge-base article KB-{} describes the "
                           "fix.",
                           issue.cause, rng.Range(100, 999)),
               "Sentiment in the last customer message is negative, so the "
               "reply opens by acknowledging the delay before explaining the "
               "fix.",
               "The previous agent reply promised an update within 48 hours; "
               "this message fulfils that commitment."};
        d.reasoning.tail = fmt::format(
            "Recommendation: send the reply from support@{} and set ticket "
            "#{} to pending.",
            kCorpDomain, ticket);
        d.excerpt.head = fmt::format(
            "{} thanks for your patience while we looked into this.", greeting);
        d.excerpt.Fill(
            rng,
            {fmt::format("We found that the problem was caused by {}.",
                         issue.cause),
             fmt::format("We have {}, and you should see the change within "
                         "the next few hours.",
                         issue.fix),
             // One sentence wrapped over two lines, not two items:
             // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
             "If anything still looks off, just reply to this email and it "
             "will come straight back to me.",
             "We're sorry for the trouble this caused your team.",
             "Best regards, the Northpeak support team"},
            0.5);
        break;
      }
      case 1: {
        const std::string refund = fmt::format(
            "{} {}", Money(rng.Range(5, 900) * 100 + 99), c.country->currency);
        subject_line = fmt::format("Your refund of {} is on its way", refund);
        template_id = "cx/refund-confirmation";
        d.trigger = Trigger("agent_decision", "agent.refund-agent.followup", tk,
                            "agent:cx-reply-agent");
        d.reasoning.head = fmt::format(
            "Stripe confirmed a refund of {} for ticket #{}, and the customer "
            "has not yet been told.",
            refund, ticket);
        why = {
            "Card refunds take 5 to 10 business days to appear, so the "
            "message sets that expectation to avoid a follow-up ticket.",
            "The refund was approved and executed before this message was "
            "drafted; the email only reports it."};
        d.reasoning.tail = fmt::format(
            "Recommendation: send the confirmation and solve ticket #{}.",
            ticket);
        d.excerpt.head = fmt::format(
            "{} we have refunded {} to your original payment method.", greeting,
            refund);
        d.excerpt.Fill(
            rng,
            {"Depending on your bank it can take 5 to 10 business days to "
             "show on your statement.",
             fmt::format("Your reference is ticket #{}.", ticket),
             "Thank you for your patience, and sorry again for the trouble.",
             "Best regards, the Northpeak support team"},
            0.5);
        break;
      }
      case 2: {
        const std::string renews = DateOnly(now + 14 * kDay);
        subject_line = fmt::format("Your {} plan renews on {}", c.tier, renews);
        template_id = "cx/renewal-notice";
        d.trigger =
            Trigger("scheduled", "scheduler.cron.renewal_notices",
                    fmt::format("cron:renewal-notices/{}", DateCompact(now)),
                    "scheduler:renewal-notices");
        d.reasoning.head = fmt::format(
            "The {} plan for account {} renews on {} with auto-renew on, and "
            "the terms of service require notice 14 days ahead.",
            c.tier, c.account, renews);
        why = {
            "The renewal price is unchanged from last year, so no price "
            "change wording is needed.",
            "The account has no open billing dispute that would make a "
            "renewal notice inappropriate."};
        d.reasoning.tail = "Recommendation: send the renewal notice.";
        d.excerpt.head =
            fmt::format("{} your {} plan will renew automatically on {}.",
                        greeting, c.tier, renews);
        d.excerpt.Fill(
            rng,
            {"No action is needed if you would like to continue.",
             "You can change or cancel your plan at any time before the "
             "renewal date from the billing page.",
             "Best regards, the Northpeak billing team"},
            0.5);
        break;
      }
      default: {
        subject_line = "Action needed: update your payment method";
        template_id = "cx/dunning-notice";
        d.trigger = Trigger("event", "stripe.invoice.payment_failed",
                            "stripe:invoice/in_" + B62(rng, 24),
                            "integration:stripe-webhook");
        d.reasoning.head =
            "The renewal payment for this account was declined by the card "
            "issuer (insufficient_funds), and the 7-day grace period has "
            "started.";
        why = {
            "This is the first failed attempt, so the friendly reminder "
            "template is used rather than the suspension warning.",
            "Stripe will retry the charge automatically in 3 days."};
        d.reasoning.tail = "Recommendation: send the payment reminder.";
        d.excerpt.head =
            fmt::format("{} we could not process the payment for your {} plan.",
                        greeting, c.tier);
        d.excerpt.Fill(
            rng,
            {"Please update your card in the billing page within 7 days to "
             "avoid any interruption.",
             "If you have already updated it, you can ignore this message.",
             "Best regards, the Northpeak billing team"},
            0.5);
        break;
      }
    }
    why.insert(why.end(), common.begin(), common.end());
    d.reasoning.Fill(rng, std::move(why), 0.55);
  }
  d.excerpt_key = "body_excerpt";
  d.event_names = {"zendesk.ticket.comment_added", "sendgrid.event.delivered",
                   "sendgrid.event.open", "zendesk.ticket.status_changed"};
  d.event_ref = fmt::format("zendesk:ticket/{}", ticket);

  d.ai_output =
      O({{"decision", S(fmt::format("send email \"{}\"", subject_line))},
         {"confidence", Milli(rng.Range(780, 990))},
         {"scores", O({{"tone", Milli(rng.Range(750, 990))},
                       {"factual_grounding", Milli(rng.Range(700, 990))},
                       {"pii_risk", Milli(rng.Range(5, 150))},
                       {"policy_compliance", Milli(rng.Range(800, 999))}})}});
  const std::string from =
      fmt::format("{}@{}", patient ? "care-team" : "support", kCorpDomain);
  d.action = O(
      {{"type", S("email.send")},
       {"system", S("sendgrid")},
       {"target", S(fmt::format("zendesk:ticket/{}", ticket))},
       {"recipient", S(to)},
       {"params", O({{"from", S(from)},
                     {"reply_to", S(from)},
                     {"subject", S(subject_line)},
                     {"template_id", S(template_id)},
                     {"body_sha256", S(Hex(rng, 64))},
                     {"locale", S(locale)},
                     {"categories", A({S("ai-drafted"), S(template_id)})},
                     {"tracking", O({{"open", B(true)}, {"click", B(false)}})},
                     {"asm_group_id", I(18234)}})}});
  d.approval =
      Human(patient ? rng.Pick(kClinicalApprovers) : rng.Pick(kCxApprovers),
            30 * 1000, 25 * kMinute,
            rng.Chance(0.2) ? "edited the greeting before approving" : "");
  const OutcomeStatus st = PickStatus(25, 12, 15);
  const std::string msg_id = B62(rng, 22);
  Value resp = O({{"http", Http(st == OutcomeStatus::kError ? 429 : 202)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess) {
    resp.Set("x_message_id", S(msg_id));
    resp.Set(
        "event",
        O({{"event", S("delivered")},
           {"smtp_response",
            S("250 2.0.0 OK  " + fmt::format("{}", now / 1000) + " - gsmtp")},
           {"sg_event_id", S(B62(rng, 22))}}));
  } else if (st == OutcomeStatus::kPending) {
    resp.Set("x_message_id", S(msg_id));
    resp.Set("note", S("accepted for delivery; no delivery event yet"));
  } else if (st == OutcomeStatus::kFailure) {
    error = rng.Chance(0.6) ? fmt::format(
                                  "bounce: 550 5.1.1 <{}>: Recipient address "
                                  "rejected: User unknown in virtual mailbox "
                                  "table",
                                  to)
                            : "dropped: recipient is on the suppression list "
                              "(unsubscribe group 18234)";
    resp.Set("x_message_id", S(msg_id));
    resp.Set("event", O({{"event", S(error.substr(0, error.find(':')))},
                         {"reason", S(error)}}));
  } else {
    error =
        "HTTP 429 Too Many Requests from api.sendgrid.com (retry-after: "
        "30); message not accepted";
  }
  d.outcome = Outcome(st, st == OutcomeStatus::kError ? std::string() : msg_id,
                      std::move(resp), std::move(error));
}

// ---------------------------------------------------------------------------
// CRM: crm.stage.update, lead.route, crm.contact.delete

namespace {

constexpr const char* kSalesforceStages[] = {
    "Prospecting",          "Qualification",      "Needs Analysis",
    "Proposal/Price Quote", "Negotiation/Review", "Closed Won"};
constexpr const char* kHubspotStages[] = {
    "appointmentscheduled",  "qualifiedtobuy", "presentationscheduled",
    "decisionmakerboughtin", "contractsent",   "closedwon"};

std::string CrmFailure(Rng& rng, bool salesforce, const std::string& id) {
  if (salesforce) {
    return rng.Chance(0.5)
               ? "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to "
                 "this record or 1 records: " +
                     id
               : "FIELD_CUSTOM_VALIDATION_EXCEPTION: Close Date is required "
                 "before the stage can be advanced";
  }
  return "VALIDATION_ERROR: Property values were not valid: "
         "[{\"isValid\":false,\"message\":\"dealstage is read-only while an "
         "approval is pending\",\"name\":\"dealstage\"}]";
}

}  // namespace

void Generator::State::StageUpdate(Draft& d) {
  d.deployment = kPipelineAgent;
  d.risk_class = "threshold";
  const Lead& l = leads[rng.Skewed(leads.size())];
  d.cloud_region = l.country->cloud_region;
  const bool sf = l.crm == "salesforce";
  const size_t from = rng.Below(5);
  const size_t to = from + 1;
  const char* from_stage = sf ? kSalesforceStages[from] : kHubspotStages[from];
  const char* to_stage = sf ? kSalesforceStages[to] : kHubspotStages[to];
  const std::string opp =
      sf ? "006" + B62(rng, 15)
         : fmt::format("{}", rng.Range(1000000000, 9999999999));
  const int64_t deal_cents = rng.Range(60, 4000) * 100000 / 10;
  const char* cur = l.country->currency;
  const int64_t confidence = rng.Range(610, 980);
  const std::string call =
      fmt::format("gong:call/{}", rng.Range(1000000, 9999999));

  switch (rng.Weighted({45, 30, 25})) {
    case 0:
      d.trigger = Trigger("event", "gong.call.completed", call,
                          "integration:gong-webhook");
      break;
    case 1:
      d.trigger = Trigger(
          "event",
          sf ? "salesforce.opportunity.updated" : "hubspot.deal.propertyChange",
          fmt::format("{}:opportunity/{}", l.crm, opp),
          fmt::format("integration:{}-cdc", l.crm));
      break;
    default:
      d.trigger =
          Trigger("scheduled", "scheduler.cron.pipeline_rescore",
                  fmt::format("cron:pipeline-rescore/{}", DateCompact(now)),
                  "scheduler:pipeline-rescore");
      break;
  }
  d.ai_output = O(
      {{"decision",
        S(fmt::format("move opportunity from {} to {}", from_stage, to_stage))},
       {"confidence", Milli(confidence)},
       {"scores", O({{"win_probability", Milli(rng.Range(150, 900))},
                     {"engagement", Milli(rng.Range(300, 990))},
                     {"budget_fit", Milli(rng.Range(300, 990))},
                     {"champion_strength", Milli(rng.Range(200, 950))}})}});
  d.reasoning.head = fmt::format(
      "The latest activity on the {} opportunity shows the buyer has "
      "completed the exit criteria for {}.",
      l.company, from_stage);
  d.reasoning.Fill(
      rng,
      {fmt::format("On the last call {} ({}) confirmed budget for this fiscal "
                   "year and asked for a proposal covering {} seats.",
                   l.name, l.title, rng.Range(10, 900)),
       // One sentence wrapped over two lines, not two items:
       // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
       "A second stakeholder from procurement joined the thread this week, "
       "which historically precedes a move to the next stage.",
       fmt::format("Email engagement over the last 14 days is {} replies "
                   "from {} contacts, above the segment median.",
                   rng.Range(3, 19), rng.Range(2, 6)),
       "No competitor was mentioned in the last two calls, and the security "
       "questionnaire has been returned.",
       fmt::format("The deal value of {} {} matches the {} segment pricing "
                   "band.",
                   Money(deal_cents), cur, l.segment)},
      0.6);
  d.reasoning.tail = fmt::format(
      "Recommendation: update the stage to {} and keep the close "
      "date unchanged.",
      to_stage);
  d.excerpt_key = "call_summary";
  d.excerpt.head = fmt::format(
      "Call with {} from {} about the rollout timeline.", l.name, l.company);
  d.excerpt.Fill(rng,
                 {"They want to start with one team in the first quarter and "
                  "expand after a 60-day review.",
                  "Legal review of the MSA is expected to take two weeks.",
                  "Pricing was discussed; no discount was requested beyond "
                  "the standard annual prepay terms.",
                  "Next step: send the proposal and schedule a technical "
                  "deep-dive with their IT lead."},
                 0.5);
  d.event_names = {"gong.call.completed", "salesforce.task.completed",
                   "outreach.email.replied", "salesforce.opportunity.updated"};
  d.event_ref = fmt::format("{}:opportunity/{}", l.crm, opp);
  d.action = O(
      {{"type", S("crm.stage.update")},
       {"system", S(l.crm)},
       {"target", S(opp)},
       {"params",
        O({{"object", S(sf ? "Opportunity" : "deal")},
           {"field", S(sf ? "StageName" : "dealstage")},
           {"from", S(from_stage)},
           {"to", S(to_stage)},
           {"deal_value", MoneyValue(deal_cents, cur)},
           {"close_date", S(DateOnly(now + rng.Range(10, 120) * kDay))},
           {"evidence",
            A({S(call), S(fmt::format("email:thread/{}", Hex(rng, 16)))})}})}});
  if (confidence >= 750) {
    d.approval = Rule("T-2026-08", "2",
                      "auto-approved: CRM stage update from AI scoring with "
                      "confidence >= 0.75, reviewed monthly by RevOps");
  } else {
    d.approval = Human(rng.Pick(kSalesOpsApprovers), kMinute, 2 * kHour,
                       "confidence below the T-2026-08 threshold");
  }
  const OutcomeStatus st = PickStatus(25, 12, 0);
  Value resp = O({{"http", Http(st == OutcomeStatus::kSuccess ? 200
                                : st == OutcomeStatus::kError ? 504
                                                              : 400)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess) {
    resp.Set("id", S(opp));
    resp.Set("success", B(true));
    resp.Set("errors", A({}));
    resp.Set("last_modified", S(Rfc3339(now + rng.Range(50, 900))));
  } else if (st == OutcomeStatus::kFailure) {
    error = CrmFailure(rng, sf, opp);
    resp.Set("success", B(false));
  } else {
    error = fmt::format(
        "HTTP 504 Gateway Timeout from the {} API after "
        "120000 ms; update state unknown, reconciliation job "
        "queued",
        l.crm);
  }
  d.outcome = Outcome(st, st == OutcomeStatus::kSuccess ? opp : std::string(),
                      std::move(resp), std::move(error));
  d.subject = LeadSubject(l);
}

void Generator::State::LeadRoute(Draft& d) {
  d.deployment = kLeadRouter;
  d.risk_class = "threshold";
  const Lead& l = leads[rng.Skewed(leads.size())];
  d.cloud_region = l.country->cloud_region;
  const bool sf = l.crm == "salesforce";
  // Candidate reps and their scores; the top one wins. After the router's
  // model update, a deactivated rep sometimes wins: the article's incident.
  const bool new_model = ElapsedPeriods() >= kLeadModels[1].from_period;
  const size_t n = static_cast<size_t>(rng.Range(3, 5));
  std::vector<std::pair<size_t, int64_t>> cands;
  for (size_t i = 0; i < n; ++i) {
    size_t r = rng.Below(reps.size());
    bool dup = !reps[r].active && !(new_model && rng.Chance(0.3));
    for (const auto& cnd : cands) dup = dup || cnd.first == r;
    if (dup) continue;
    cands.emplace_back(r, rng.Range(200, 940));
  }
  if (cands.empty()) cands.emplace_back(0, rng.Range(500, 940));
  std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  const Rep& best = reps[cands.front().first];
  Value scores = O({});
  for (const auto& [idx, s] : cands) scores.Set(reps[idx].id, Milli(s));

  switch (rng.Weighted({50, 30, 20})) {
    case 0:
      d.trigger = Trigger(
          "event", sf ? "salesforce.lead.created" : "hubspot.contact.creation",
          fmt::format("{}:lead/{}", l.crm, l.id),
          fmt::format("integration:{}-cdc", l.crm));
      break;
    case 1:
      d.trigger = Trigger("event", "hubspot.form.submitted",
                          fmt::format("hubspot:form/{}", Hex(rng, 8)),
                          "integration:hubspot-forms");
      break;
    default:
      d.trigger = Trigger("event", "clearbit.enrichment.completed",
                          fmt::format("clearbit:company/{}", l.domain),
                          "integration:clearbit");
      break;
  }
  d.ai_output = O({{"decision", S(fmt::format("route to {} ({} {})", best.name,
                                              best.territory, best.segment))},
                   {"confidence", Milli(cands.front().second)},
                   {"scores", std::move(scores)}});
  d.reasoning.head = fmt::format(
      "{} is a {} company in {} with about {} employees, which maps to the {} "
      "segment.",
      l.company, l.industry, l.country->code, l.employees, l.segment);
  d.reasoning.Fill(
      rng,
      {fmt::format("The contact, {} ({}), submitted a demo request and "
                   "visited the pricing page three times this week.",
                   l.name, l.title),
       fmt::format("{} covers {} for the {} segment and has capacity for new "
                   "inbound leads this week.",
                   best.name, best.territory, best.segment),
       // One sentence wrapped over two lines, not two items:
       // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
       "Reps with existing relationships at the same domain were checked "
       "first; none was found.",
       fmt::format("Industry fit for {} is above average based on the last "
                   "two quarters of won deals.",
                   l.industry),
       "Round-robin fairness was applied as a tie-breaker among reps within "
       "0.05 of the top score."},
      0.6);
  d.reasoning.tail = fmt::format(
      "Recommendation: assign the lead to {} with a 15-minute "
      "first-response SLA.",
      best.name);
  d.excerpt_key = "form_message";
  d.excerpt.head = fmt::format(
      "Hi, we are evaluating tools for our {} team and would like a demo.",
      l.industry);
  d.excerpt.Fill(rng,
                 {"We currently use spreadsheets and a homegrown script.",
                  fmt::format("About {} people would use it in the first "
                              "phase.",
                              rng.Range(5, 300)),
                  "Our budget cycle closes at the end of next quarter.",
                  "Please contact me by email rather than phone."},
                 0.5);
  d.event_names = {"hubspot.form.submitted", "segment.page.viewed",
                   "clearbit.enrichment.completed"};
  d.event_ref = fmt::format("{}:lead/{}", l.crm, l.id);
  d.action =
      O({{"type", S("lead.route")},
         {"system", S(l.crm)},
         {"target", S(l.id)},
         {"recipient", S(best.email)},
         {"params",
          O({{"field", S(sf ? "OwnerId" : "hubspot_owner_id")},
             {"previous_owner", S("queue:Inbound-Unassigned")},
             {"new_owner", S(best.id)},
             {"new_owner_name", S(best.name)},
             {"new_owner_status", S(best.active ? "active" : "deactivated")},
             {"territory", S(best.territory)},
             {"candidates", I(static_cast<int64_t>(cands.size()))},
             {"sla_minutes", I(15)}})}});
  d.approval = Rule("T-2026-09", "1",
                    "auto-approved: internal routing and assignment, "
                    "post-hoc review of a weekly sample");
  const OutcomeStatus st = PickStatus(15, 10, 0);
  Value resp = O({{"http", Http(st == OutcomeStatus::kSuccess ? 200
                                : st == OutcomeStatus::kError ? 503
                                                              : 400)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess) {
    resp.Set("id", S(l.id));
    resp.Set("success", B(true));
    resp.Set("owner_changed_at", S(Rfc3339(now + rng.Range(40, 700))));
  } else if (st == OutcomeStatus::kFailure) {
    error = sf ? "INACTIVE_OWNER_OR_USER: owner or user is inactive"
               : "VALIDATION_ERROR: hubspot_owner_id refers to an archived "
                 "owner";
    resp.Set("success", B(false));
  } else {
    error = fmt::format(
        "HTTP 503 Service Unavailable from the {} API; "
        "the lead stays in the unassigned queue",
        l.crm);
  }
  d.outcome = Outcome(st, st == OutcomeStatus::kSuccess ? l.id : std::string(),
                      std::move(resp), std::move(error));
  d.subject = LeadSubject(l);
}

void Generator::State::ContactDelete(Draft& d) {
  d.deployment = kDataHygiene;
  d.risk_class = "human_approval";
  const Lead& l = leads[rng.Skewed(leads.size())];
  d.cloud_region = l.country->cloud_region;
  const bool sf = l.crm == "salesforce";
  const size_t reason = rng.Weighted({55, 25, 20});
  const std::string dup = sf ? "00Q" + B62(rng, 15)
                             : fmt::format("{}", rng.Range(10000000, 99999999));
  const std::string request =
      fmt::format("DSAR-{}-{:05}", YearOf(now), rng.Range(1, 99999));
  if (reason == 0) {
    d.trigger = Trigger("agent_decision", "agent.crm-hygiene.duplicate_scan",
                        fmt::format("{}:lead/{}", l.crm, dup),
                        "agent:data-hygiene-agent");
  } else if (reason == 1) {
    d.trigger = Trigger("event", "privacy.dsar.erasure_requested",
                        "onetrust:request/" + request, "integration:onetrust");
  } else {
    d.trigger = Trigger("scheduled", "scheduler.cron.hard_bounce_cleanup",
                        fmt::format("cron:bounce-cleanup/{}", DateCompact(now)),
                        "scheduler:bounce-cleanup");
  }
  static constexpr const char* kReasons[] = {"duplicate", "gdpr_erasure",
                                             "hard_bounce"};
  d.ai_output =
      O({{"decision",
          S(fmt::format("delete contact {} ({})", l.id, kReasons[reason]))},
         {"confidence", Milli(rng.Range(800, 995))},
         {"scores",
          O({{"duplicate_similarity",
              Milli(reason == 0 ? rng.Range(880, 999) : rng.Range(0, 300))},
             {"open_opportunity_risk", Milli(rng.Range(0, 120))}})}});
  d.reasoning.head =
      reason == 0 ? fmt::format(
                        "Contact {} at {} duplicates {}: same email domain, "
                        "same phone number and a name that differs only in "
                        "an accent.",
                        l.id, l.company, dup)
      : reason == 1 ? fmt::format(
                          "Erasure request {} was verified for {}, and the "
                          "contact has no legal-hold or open-contract flag.",
                          request, l.name)
                    : fmt::format(
                          "The email address for {} has hard-bounced three "
                          "times in 30 days and the contact has no activity "
                          "for 11 months.",
                          l.name);
  d.reasoning.Fill(
      rng,
      {"The surviving record keeps the full activity history, so no sales "
       "context is lost by the deletion.",
       "There are no open opportunities, cases or contracts linked to the "
       "contact.",
       "The marketing platform's suppression list keeps a hash of the email "
       "address so the person is not re-imported from a list upload.",
       "Data retention policy DR-4 allows deleting marketing contacts with no "
       "business relationship after 12 months of inactivity."},
      0.6);
  d.reasoning.tail =
      "Recommendation: delete the contact after approval by "
      "the privacy team, and record the deletion in the "
      "request log.";
  d.excerpt_key = "review_note";
  d.excerpt.head = "Checked linked records before deletion.";
  d.excerpt.Fill(rng,
                 {"Opportunities: none. Cases: none.",
                  "Campaign memberships will be removed together with the "
                  "contact.",
                  "Backups expire in 35 days under the standard schedule.",
                  "Downstream sync to the data warehouse propagates the "
                  "deletion within 24 hours."},
                 0.5);
  d.event_names = {"onetrust.request.verified", "hubspot.contact.merged",
                   "sendgrid.event.bounce"};
  d.event_ref = fmt::format("{}:lead/{}", l.crm, l.id);
  d.action = O({{"type", S("crm.contact.delete")},
                {"system", S(l.crm)},
                {"target", S(l.id)},
                {"params", O({{"object", S(sf ? "Lead" : "contact")},
                              {"reason", S(kReasons[reason])},
                              {"request_id", S(reason == 1 ? request : "")},
                              {"merged_into", S(reason == 0 ? dup : "")},
                              {"hard_delete", B(reason == 1)},
                              {"legal_hold_checked", B(true)}})}});
  d.approval =
      Human(rng.Pick(reason == 1 ? kPrivacyApprovers : kSalesOpsApprovers),
            5 * kMinute, 6 * kHour);
  const OutcomeStatus st = PickStatus(15, 10, 0);
  Value resp = O({{"http", Http(st == OutcomeStatus::kSuccess ? 204
                                : st == OutcomeStatus::kError ? 500
                                                              : 404)}});
  std::string error;
  if (st == OutcomeStatus::kFailure) {
    error = sf ? "ENTITY_IS_DELETED: entity is deleted"
               : "OBJECT_NOT_FOUND: contact does not exist or was already "
                 "merged";
  } else if (st == OutcomeStatus::kError) {
    error =
        "HTTP 500 from the CRM API: internal server error; deletion not "
        "confirmed, will retry";
  } else {
    resp.Set("deleted_id", S(l.id));
    resp.Set("recycle_bin", B(!(reason == 1)));
  }
  d.outcome = Outcome(st, st == OutcomeStatus::kSuccess ? l.id : std::string(),
                      std::move(resp), std::move(error));
  d.subject = LeadSubject(l);
}

// ---------------------------------------------------------------------------
// contract.update

void Generator::State::ContractUpdate(Draft& d) {
  d.deployment = kContractsCopilot;
  d.risk_class = "human_approval";
  const Vendor& v = vendors[rng.Skewed(vendors.size())];
  d.cloud_region = v.country->cloud_region;
  const bool ironclad = rng.Chance(0.7);
  const char* system = ironclad ? "ironclad" : "docusign_clm";
  static constexpr const char* kNewTerms[] = {"Net 30", "Net 45", "Net 60",
                                              "Net 90"};
  const char* to_terms = rng.Pick(kNewTerms);
  if (std::string_view(to_terms) == v.terms) to_terms = "Net 75";
  const std::string effective = DateOnly(now + rng.Range(1, 30) * kDay);
  const std::string workflow =
      ironclad
          ? "wf_" + Hex(rng, 20)
          : fmt::format("{}-{}-{}", Hex(rng, 8), Hex(rng, 4), Hex(rng, 12));
  const char* cur = v.country->currency;
  switch (rng.Weighted({60, 25, 15})) {
    case 0:
      d.trigger = Trigger("user_instruction", "slack.command.contracts",
                          fmt::format("{}:contract/{}", system, v.contract_id),
                          fmt::format("user:{}", rng.Pick(kProcurementStaff)));
      break;
    case 1:
      d.trigger = Trigger("agent_decision", "agent.contract-monitor.renewal",
                          fmt::format("{}:contract/{}", system, v.contract_id),
                          "agent:contracts-copilot");
      break;
    default:
      d.trigger =
          Trigger("event", "coupa.invoice.disputed",
                  fmt::format("coupa:invoice/{}", rng.Range(100000, 999999)),
                  "integration:coupa");
      break;
  }
  d.ai_output =
      O({{"decision", S(fmt::format("change payment terms from {} to {}",
                                    v.terms, to_terms))},
         {"confidence", Milli(rng.Range(700, 970))},
         {"scores", O({{"clause_match", Milli(rng.Range(850, 999))},
                       {"legal_risk", Milli(rng.Range(50, 450))},
                       {"cash_impact", Milli(rng.Range(100, 800))}})}});
  d.reasoning.head = fmt::format(
      "The amendment request for {} ({}) asks to move payment terms in "
      "section 4.2 from {} to {}.",
      v.company, v.contract_id, v.terms, to_terms);
  d.reasoning.Fill(
      rng,
      {fmt::format("The master agreement has an annual value of {} {} for {}, "
                   "and section 4.2 is the only clause that states payment "
                   "terms.",
                   Money(v.annual_cents), cur, v.category),
       // One sentence wrapped over two lines, not two items:
       // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
       "The counterparty's signed letter of 12 days ago agrees to the change "
       "in exchange for a 12-month renewal commitment.",
       "Finance's working-capital target for this vendor category is 45 days "
       "or more, so the change is in line with treasury guidance.",
       "No other clause references the payment terms by number, so the edit "
       "does not require conforming changes elsewhere.",
       "Late-payment interest in section 4.5 is unchanged."},
      0.6);
  d.reasoning.tail = fmt::format(
      "Recommendation: apply the redline to section 4.2 with effective date "
      "{} and route it for countersignature.",
      effective);
  d.excerpt_key = "redline_excerpt";
  d.excerpt.head = fmt::format(
      "4.2 Payment Terms. Customer shall pay each undisputed invoice within "
      "[-{}-] [+{}+] of receipt.",
      v.terms, to_terms);
  d.excerpt.Fill(rng,
                 {"Invoices shall reference the purchase order number.",
                  "Disputed amounts shall be notified in writing within 15 "
                  "days of receipt.",
                  "All other terms of the Agreement remain in full force and "
                  "effect."},
                 0.5);
  d.event_names = {"ironclad.workflow.updated", "docusign.envelope.sent",
                   "coupa.invoice.created"};
  d.event_ref = fmt::format("{}:contract/{}", system, v.contract_id);
  d.action = O({{"type", S("contract.update")},
                {"system", S(system)},
                {"target", S(v.contract_id)},
                {"recipient", S(v.contact_email)},
                {"params", O({{"clause", S("4.2 Payment Terms")},
                              {"field", S("payment_terms")},
                              {"from", S(v.terms)},
                              {"to", S(to_terms)},
                              {"effective_date", S(effective)},
                              {"annual_value", MoneyValue(v.annual_cents, cur)},
                              {"counterparty", S(v.company)},
                              {"workflow_id", S(workflow)}})}});
  d.approval = Human(rng.Pick(kLegalApprovers), 10 * kMinute, 20 * kHour,
                     rng.Chance(0.35) ? "terms confirmed with treasury" : "");
  const OutcomeStatus st = PickStatus(20, 10, 90);
  Value resp = O({{"http", Http(st == OutcomeStatus::kError ? 502 : 200)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess || st == OutcomeStatus::kPending) {
    resp.Set("workflow", O({{"id", S(workflow)},
                            {"status", S(st == OutcomeStatus::kSuccess
                                             ? "amended"
                                             : "awaiting_countersignature")},
                            {"document_version", I(rng.Range(2, 9))}}));
  } else if (st == OutcomeStatus::kFailure) {
    error = "workflow is locked: a prior amendment is still in review";
  } else {
    error = fmt::format(
        "HTTP 502 Bad Gateway from the {} API after 3 "
        "attempts",
        system);
  }
  d.outcome =
      Outcome(st, st == OutcomeStatus::kError ? std::string() : workflow,
              std::move(resp), std::move(error));
  d.subject =
      O({{"type", S("vendor")},
         {"id", S(v.id)},
         {"attributes",
          O({{"account_age_days", I(AgeDays(v.base_age_days))},
             {"country", S(v.country->code)},
             {"tier", S(v.annual_cents >= 50000000 ? "strategic" : "standard")},
             {"category", S(v.category)},
             {"company", S(v.company)}})}});
}

// ---------------------------------------------------------------------------
// record.delete

void Generator::State::RecordDelete(Draft& d) {
  d.deployment = kDataHygiene;
  d.risk_class = "human_approval";
  const Customer& c = customers[rng.Skewed(customers.size())];
  d.cloud_region = c.country->cloud_region;
  static constexpr const char* kSystems[] = {"zendesk", "intercom", "segment"};
  const char* system = rng.Pick(kSystems);
  const size_t reason = rng.Weighted({45, 35, 20});
  static constexpr const char* kReasons[] = {
      "gdpr_art17_erasure", "retention_expired", "duplicate_record"};
  const std::string request =
      fmt::format("DSAR-{}-{:05}", YearOf(now), rng.Range(1, 99999));
  const std::string target = fmt::format(
      "{}:user/{}", system,
      std::string_view(system) == "zendesk" ? c.zendesk_user : Hex(rng, 24));
  const int64_t affected = rng.Range(1, 240);
  if (reason == 0) {
    d.trigger = Trigger("event", "privacy.dsar.erasure_requested",
                        "onetrust:request/" + request, "integration:onetrust");
  } else if (reason == 1) {
    d.trigger =
        Trigger("scheduled", "scheduler.cron.retention_sweep",
                fmt::format("cron:retention-sweep/{}", DateCompact(now)),
                "scheduler:retention-sweep");
  } else {
    d.trigger = Trigger("agent_decision", "agent.data-hygiene.dedupe", target,
                        "agent:data-hygiene-agent");
  }
  d.ai_output =
      O({{"decision", S(fmt::format("delete {} ({}, {} related records)",
                                    target, kReasons[reason], affected))},
         {"confidence", Milli(rng.Range(820, 995))},
         {"scores", O({{"identity_match", Milli(rng.Range(900, 999))},
                       {"retention_conflict", Milli(rng.Range(0, 80))}})}});
  d.reasoning.head =
      reason == 0 ? fmt::format(
                        "Erasure request {} was verified by email "
                        "confirmation and matches {} in {} by email address "
                        "and account id.",
                        request, target, system)
      : reason == 1 ? fmt::format(
                          "The records under {} are past the {} retention "
                          "period with no activity since {}.",
                          target, c.country->gdpr ? "3-year" : "5-year",
                          DateOnly(now - rng.Range(1100, 2000) * kDay))
                    : fmt::format(
                          "{} is a duplicate profile created by a second "
                          "sign-up with the same email address.",
                          target);
  d.reasoning.Fill(
      rng,
      // One sentence wrapped over two lines, not two items:
      // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
      {"No legal hold, open dispute or unpaid invoice references the "
       "account.",
       "Financial records needed for tax and SOX purposes are kept in the "
       "billing system and are not part of this deletion.",
       fmt::format("The deletion covers {} related records (tickets, "
                   "attachments and conversation history).",
                   affected),
       "The identity match uses the verified email address and the account "
       "id; the name alone was not used.",
       "Article 17(3) exemptions were checked and none applies."},
      0.6);
  d.reasoning.tail =
      "Recommendation: delete after approval by the privacy "
      "officer and confirm completion to the requester within "
      "the 30-day deadline.";
  d.excerpt_key = "request_text";
  d.excerpt.head = reason == 0 ? "Please delete all personal data you hold "
                                 "about me, including support history."
                               : "Automated retention review.";
  d.excerpt.Fill(rng,
                 {"I closed my account last year and no longer use the "
                  "service.",
                  "Please confirm by email once this is done.",
                  "I understand invoices may need to be kept for tax "
                  "reasons."},
                 0.5);
  d.event_names = {"onetrust.request.verified", "zendesk.user.updated",
                   "segment.identify"};
  d.event_ref = target;
  d.action = O(
      {{"type", S("record.delete")},
       {"system", S(system)},
       {"target", S(target)},
       {"params",
        O({{"object", S("user")},
           {"reason", S(kReasons[reason])},
           {"request_id", S(reason == 0 ? request : "")},
           {"cascade", A({S("tickets"), S("attachments"), S("conversations")})},
           {"records_affected", I(affected)},
           {"soft_delete", B(false)},
           {"legal_hold_checked", B(true)}})}});
  d.approval = Human(rng.Pick(kPrivacyApprovers), 10 * kMinute, 30 * kHour,
                     reason == 0 ? "identity verified, no Art. 17(3) "
                                   "exemption"
                                 : "");
  const OutcomeStatus st = PickStatus(15, 15, 30);
  const std::string job = "del_" + Hex(rng, 16);
  Value resp = O({{"http", Http(st == OutcomeStatus::kError ? 500 : 200)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess || st == OutcomeStatus::kPending) {
    resp.Set("job", O({{"id", S(job)},
                       {"status", S(st == OutcomeStatus::kSuccess ? "completed"
                                                                  : "queued")},
                       {"records_deleted",
                        I(st == OutcomeStatus::kSuccess ? affected : 0)}}));
  } else if (st == OutcomeStatus::kFailure) {
    error = "RecordNotFound: user does not exist or was already deleted";
  } else {
    error =
        "deletion job crashed after deleting part of the records; "
        "manual verification required";
  }
  d.outcome = Outcome(st, st == OutcomeStatus::kFailure ? std::string() : job,
                      std::move(resp), std::move(error));
  d.subject = CustomerSubject(c);
}

// ---------------------------------------------------------------------------
// Internal actions: auto-executed and logged, approval mode "none".

void Generator::State::TaskCreate(Draft& d) {
  d.deployment = kOpsAssistant;
  const Employee& e = employees[rng.Skewed(employees.size())];
  d.team = rng.Chance(0.5) ? "support-ops" : "it-ops";
  static constexpr const char* kSystems[] = {"jira", "jira", "asana", "linear"};
  const char* system = rng.Pick(kSystems);
  const bool jira = std::string_view(system) == "jira";
  static constexpr const char* kProjects[] = {"SUP", "OPS", "FIN", "ENG"};
  const char* project = rng.Pick(kProjects);
  const int64_t num = rng.Range(1000, 9999);
  const std::string key =
      jira ? fmt::format("{}-{}", project, num)
           : fmt::format("{}", rng.Range(1000000000, 9999999999));
  const int64_t ticket = rng.Range(40000, 99999);
  struct Kind {
    const char* title;
    const char* why;
  };
  static constexpr Kind kKinds[] = {
      {"Follow up on escalated ticket #{}",
       "the ticket breached its first-response SLA and the customer is on "
       "an enterprise plan"},
      {"Investigate refund failures for ticket #{}",
       "two refund attempts on the same charge failed in the last hour"},
      {"Write postmortem for incident linked to ticket #{}",
       "the incident was resolved and the postmortem is due within five "
       "business days"},
      {"Verify VAT number correction for ticket #{}",
       "a corrected invoice was issued and finance asked for a second check"},
  };
  const Kind& k = rng.Pick(kKinds);
  const std::string title = fmt::format(fmt::runtime(k.title), ticket);
  static constexpr const char* kPriorities[] = {"low", "medium", "high"};
  const char* priority = kPriorities[rng.Weighted({25, 55, 20})];
  switch (rng.Weighted({45, 35, 20})) {
    case 0:
      d.trigger = Trigger("agent_decision", "agent.ops-assistant.triage",
                          fmt::format("zendesk:ticket/{}", ticket),
                          "agent:ops-assistant");
      break;
    case 1:
      d.trigger = Trigger("event", "zendesk.ticket.escalated",
                          fmt::format("zendesk:ticket/{}", ticket),
                          "integration:zendesk-webhook");
      break;
    default:
      d.trigger = Trigger("event", "pagerduty.incident.resolved",
                          "pagerduty:incident/P" + Chars(rng, 6, kUpperAlnum),
                          "integration:pagerduty");
      break;
  }
  d.ai_output = O(
      {{"decision", S(fmt::format("create task \"{}\" for {}", title, e.name))},
       {"confidence", Milli(rng.Range(800, 990))},
       {"scores", O({{"urgency", Milli(rng.Range(200, 950))},
                     {"assignee_fit", Milli(rng.Range(600, 990))}})}});
  d.reasoning.head = fmt::format("A task is needed because {}.", k.why);
  d.reasoning.Fill(
      rng,
      {fmt::format("{} is on the {} rota this week and owns similar tasks.",
                   e.name, e.department),
       fmt::format("Priority is {} based on the customer tier and the age of "
                   "the ticket.",
                   priority),
       "No open task already covers this ticket, so this does not create a "
       "duplicate.",
       "The due date leaves two business days, consistent with the team's "
       "working agreement."},
      0.6);
  d.reasoning.tail =
      "Recommendation: create the task and link it to the "
      "ticket.";
  d.excerpt_key = "description";
  d.excerpt.head = fmt::format("Context: {}.", k.why);
  d.excerpt.Fill(rng,
                 {fmt::format("Linked ticket: zendesk #{}.", ticket),
                  "Acceptance: customer has a reply and the root cause is "
                  "noted on the ticket.",
                  "Created automatically by the ops assistant; reassign if "
                  "needed."},
                 0.6);
  d.event_names = {"zendesk.ticket.escalated", "jira.issue.updated",
                   "pagerduty.incident.acknowledged"};
  d.event_ref = fmt::format("zendesk:ticket/{}", ticket);
  d.action =
      O({{"type", S("task.create")},
         {"system", S(system)},
         {"target", S(jira ? fmt::format("project/{}", project)
                           : fmt::format("{}:project/{}", system, project))},
         {"recipient", S(e.email)},
         {"params",
          O({{"title", S(title)},
             {"priority", S(priority)},
             {"assignee", S(e.email)},
             {"due_date", S(DateOnly(now + rng.Range(1, 5) * kDay))},
             {"labels", A({S("ai-created"), S("ticket-followup")})}})}});
  d.approval = NoApproval("log_only class: internal task creation");
  const OutcomeStatus st = PickStatus(10, 10, 0);
  Value resp = O({{"http", Http(st == OutcomeStatus::kSuccess ? 201
                                : st == OutcomeStatus::kError ? 503
                                                              : 400)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess) {
    resp.Set("key", S(key));
    resp.Set("url",
             S(jira ? fmt::format("https://northpeak.atlassian.net/"
                                  "browse/{}",
                                  key)
                    : fmt::format("https://app.{}.com/task/{}", system, key)));
  } else if (st == OutcomeStatus::kFailure) {
    error =
        "Field 'assignee' cannot be set: user is not assignable in this "
        "project";
  } else {
    error = fmt::format(
        "HTTP 503 from the {} API: service temporarily "
        "unavailable",
        system);
  }
  d.outcome = Outcome(st, st == OutcomeStatus::kSuccess ? key : std::string(),
                      std::move(resp), std::move(error));
  d.subject = EmployeeSubject(e);
}

void Generator::State::CalendarCreate(Draft& d) {
  d.deployment = kOpsAssistant;
  d.team = "revops";
  const Employee& e = employees[rng.Skewed(employees.size())];
  const Employee& other = employees[rng.Below(employees.size())];
  const bool google = rng.Chance(0.7);
  const char* system = google ? "google_calendar" : "outlook_calendar";
  const int64_t start = (now / kHour + rng.Range(20, 200)) * kHour +
                        rng.Range(0, 1) * 30 * kMinute;
  const int64_t minutes = 30 * rng.Range(1, 3);
  static constexpr const char* kTitles[] = {
      "Quarterly business review prep", "Refund process weekly sync",
      "Handover: escalated accounts", "Pipeline review", "Onboarding check-in"};
  const char* title = rng.Pick(kTitles);
  const std::string event_id =
      google ? Chars(rng, 26, "abcdefghijklmnopqrstuv0123456789")
             : "AAMkAG" + B62(rng, 40);
  if (rng.Chance(0.6)) {
    d.trigger = Trigger(
        "user_instruction", "slack.message.assistant",
        fmt::format("slack:message/{}.{:06}", now / 1000, rng.Range(0, 999999)),
        fmt::format("user:{}", e.id));
  } else {
    d.trigger =
        Trigger("agent_decision", "agent.ops-assistant.scheduling",
                fmt::format("calendar:{}", e.email), "agent:ops-assistant");
  }
  d.ai_output =
      O({{"decision",
          S(fmt::format("schedule \"{}\" at {}", title, Rfc3339(start)))},
         {"confidence", Milli(rng.Range(820, 995))},
         {"scores", O({{"slot_fit", Milli(rng.Range(600, 990))}})}});
  d.reasoning.head = fmt::format(
      "{} asked for a {}-minute slot with {} before the end of the week.",
      e.name, minutes, other.name);
  d.reasoning.Fill(
      rng,
      {"Both calendars are free at the proposed time and it is within "
       "working hours in both time zones.",
       "The slot avoids the team's no-meeting block on Wednesday afternoons.",
       "A video link is added because the attendees are in different "
       "offices.",
       "No external attendees are invited, so this stays an internal event."},
      0.6);
  d.reasoning.tail = "Recommendation: create the event and send invitations.";
  d.excerpt_key = "description";
  d.excerpt.head = fmt::format("Agenda for {}.", title);
  d.excerpt.Fill(
      rng,
      {"1. Open items from last week.",
       "2. Escalations and refunds above threshold.",
       "3. Decisions and owners.", "Notes will be added to the shared doc."},
      0.6);
  d.event_names = {"slack.message.posted", "calendar.event.updated"};
  d.event_ref = fmt::format("calendar:{}", e.email);
  d.action =
      O({{"type", S("calendar.event.create")},
         {"system", S(system)},
         {"target", S(fmt::format("calendar/{}", e.email))},
         {"recipient", S(other.email)},
         {"params", O({{"title", S(title)},
                       {"start", S(Rfc3339(start))},
                       {"end", S(Rfc3339(start + minutes * kMinute))},
                       {"attendees", A({S(e.email), S(other.email)})},
                       {"conference", S(google ? "google_meet" : "teams")},
                       {"visibility", S("internal")}})}});
  d.approval = NoApproval("log_only class: internal calendar event");
  const OutcomeStatus st = PickStatus(8, 8, 0);
  Value resp = O({{"http", Http(st == OutcomeStatus::kSuccess ? 200
                                : st == OutcomeStatus::kError ? 503
                                                              : 409)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess) {
    resp.Set("id", S(event_id));
    resp.Set("status", S("confirmed"));
  } else if (st == OutcomeStatus::kFailure) {
    error =
        "conflict: the organizer's calendar changed and the slot is no "
        "longer free";
  } else {
    error = "HTTP 503 backendError from the calendar API";
  }
  d.outcome =
      Outcome(st, st == OutcomeStatus::kSuccess ? event_id : std::string(),
              std::move(resp), std::move(error));
  d.subject = EmployeeSubject(e);
}

void Generator::State::Notify(Draft& d) {
  d.deployment = kOpsAssistant;
  d.team = rng.Chance(0.5) ? "support-ops" : "finance-ops";
  const Employee& e = employees[rng.Skewed(employees.size())];
  const bool slack = rng.Chance(0.8);
  static constexpr const char* kChannels[] = {
      "#support-escalations", "#refunds-review", "#finance-ops-alerts",
      "#revops-pipeline", "#privacy-requests"};
  const char* channel = rng.Pick(kChannels);
  const std::string channel_id = "C0" + Chars(rng, 9, kUpperAlnum);
  const int64_t count = rng.Range(2, 40);
  const std::string ts =
      fmt::format("{}.{:06}", now / 1000, rng.Range(0, 999999));
  switch (rng.Weighted({40, 35, 25})) {
    case 0:
      d.trigger = Trigger(
          "event", "datadog.monitor.triggered",
          fmt::format("datadog:monitor/{}", rng.Range(10000000, 99999999)),
          "integration:datadog");
      break;
    case 1:
      d.trigger = Trigger("scheduled", "scheduler.cron.daily_digest",
                          fmt::format("cron:daily-digest/{}", DateCompact(now)),
                          "scheduler:daily-digest");
      break;
    default:
      d.trigger = Trigger("agent_decision", "agent.ops-assistant.watch",
                          fmt::format("slack:channel/{}", channel_id),
                          "agent:ops-assistant");
      break;
  }
  d.ai_output =
      O({{"decision",
          S(fmt::format("post summary of {} items to {}", count, channel))},
         {"confidence", Milli(rng.Range(850, 995))},
         {"scores", O({{"relevance", Milli(rng.Range(600, 990))},
                       {"noise", Milli(rng.Range(10, 300))}})}});
  d.reasoning.head =
      fmt::format("{} items in the last hour match the alert rules for {}.",
                  count, channel);
  d.reasoning.Fill(
      rng,
      {"The items were grouped by customer so the channel gets one message "
       "instead of many.",
       fmt::format("{} is on call for this channel and is mentioned so the "
                   "message is not missed.",
                   e.name),
       "The message contains ticket numbers and amounts only; customer names "
       "and emails are left out.",
       "The same summary was not posted in the last 30 minutes, so this is "
       "not a repeat."},
      0.6);
  d.reasoning.tail = "Recommendation: post the summary to the channel.";
  d.excerpt_key = "text";
  d.excerpt.head =
      fmt::format("Heads-up <@{}>: {} items need a look.", e.slack_id, count);
  d.excerpt.Fill(
      rng,
      {fmt::format("{} refunds above 500.00 are waiting for approval.",
                   rng.Range(1, 9)),
       fmt::format("{} tickets breached the first-response SLA.",
                   rng.Range(1, 12)),
       "Stripe reported elevated refund latency for the last 20 minutes.",
       "Details are in the thread."},
      0.6);
  d.event_names = {"datadog.monitor.triggered", "zendesk.sla.breached",
                   "stripe.refund.updated"};
  d.event_ref = fmt::format("slack:channel/{}", channel_id);
  d.action = O({{"type", S("notification.internal.send")},
                {"system", S(slack ? "slack" : "msteams")},
                {"target", S(channel_id)},
                {"recipient", S(channel)},
                {"params", O({{"channel", S(channel)},
                              {"mentions", A({S(e.slack_id)})},
                              {"blocks", I(rng.Range(1, 6))},
                              {"unfurl_links", B(false)}})}});
  d.approval = NoApproval("log_only class: internal notification");
  const OutcomeStatus st = PickStatus(5, 10, 0);
  Value resp = O({{"http", Http(st == OutcomeStatus::kError ? 503 : 200)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess) {
    resp.Set("ok", B(true));
    resp.Set("channel", S(channel_id));
    resp.Set("ts", S(ts));
  } else if (st == OutcomeStatus::kFailure) {
    resp.Set("ok", B(false));
    error = "not_in_channel: the bot user is not a member of the channel";
  } else {
    error =
        "HTTP 503 from slack.com/api/chat.postMessage; message not "
        "delivered";
  }
  d.outcome = Outcome(st, st == OutcomeStatus::kSuccess ? ts : std::string(),
                      std::move(resp), std::move(error));
  d.subject = EmployeeSubject(e);
}

void Generator::State::StatusUpdate(Draft& d) {
  const bool patient = rng.Chance(0.35);
  const int64_t ticket = rng.Range(40000, 99999);
  std::string target, from, to, system;
  if (patient) {
    d.deployment = kClinicIntake;
    const Patient& p = patients[rng.Skewed(patients.size())];
    system = "athenahealth";
    target = fmt::format("athenahealth:intake/{}", rng.Range(100000, 999999));
    from = "submitted";
    to = rng.Chance(0.7) ? "ready_for_review" : "missing_information";
    d.subject =
        O({{"type", S("patient")},
           {"id", S(p.id)},
           {"attributes", O({{"account_age_days", I(AgeDays(p.base_age_days))},
                             {"country", S("US")},
                             {"tier", S(p.plan)},
                             {"mrn", S(p.mrn)},
                             {"clinic", S(p.clinic)}})}});
    d.trigger = Trigger("event", "athenahealth.intake.submitted", target,
                        "integration:athenahealth-subscriber");
    d.reasoning.head = fmt::format(
        "The intake form for {} was submitted through the portal.", p.first);
    d.reasoning.Fill(
        rng,
        {"All required sections are complete except where noted, and the "
         "insurance card images are readable.",
         "The status change only moves the form in the clinic's work queue; "
         "it does not change any clinical data.",
         "Medication list and allergy sections were compared with the chart "
         "and no conflict was found.",
         "The appointment is in more than 24 hours, so there is time for "
         "staff review."},
        0.6);
    d.excerpt.head = "Intake review note for front-desk staff.";
  } else {
    d.deployment = kOpsAssistant;
    d.team = "support-ops";
    const Customer& c = customers[rng.Skewed(customers.size())];
    d.cloud_region = c.country->cloud_region;
    system = "zendesk";
    target = fmt::format("zendesk:ticket/{}", ticket);
    from = "pending";
    to = rng.Chance(0.7) ? "solved" : "on-hold";
    d.subject = CustomerSubject(c);
    d.trigger = Trigger("event", "zendesk.ticket.updated", target,
                        "integration:zendesk-webhook");
    d.reasoning.head = fmt::format(
        "Ticket #{} has had no customer reply for 96 hours after our "
        "resolution message.",
        ticket);
    d.reasoning.Fill(
        rng,
        {"The last agent message states the fix and asks the customer to "
         "reply if the issue persists.",
         "No linked task or refund is still open for the ticket.",
         "Customer satisfaction survey will be sent automatically when the "
         "ticket is solved.",
         "Internal status changes are auto-executed under the log-only "
         "class."},
        0.6);
    d.excerpt.head = "Auto-closing after the standard waiting period.";
  }
  d.risk_class = "log_only";
  d.excerpt_key = "internal_note";
  d.excerpt.Fill(rng,
                 {"Reopen automatically if the requester replies.",
                  "No customer-facing message is sent by this change.",
                  "Checked by the ops assistant against the queue rules."},
                 0.6);
  d.reasoning.tail =
      fmt::format("Recommendation: set the status from {} to {}.", from, to);
  d.event_names = {"zendesk.ticket.comment_added", "athenahealth.chart.viewed",
                   "zendesk.ticket.status_changed"};
  d.event_ref = target;
  d.ai_output =
      O({{"decision", S(fmt::format("set status {} -> {}", from, to))},
         {"confidence", Milli(rng.Range(850, 995))},
         {"scores", O({{"completeness", Milli(rng.Range(600, 999))}})}});
  d.action = O({{"type", S("record.status.update")},
                {"system", S(system)},
                {"target", S(target)},
                {"params", O({{"field", S("status")},
                              {"from", S(from)},
                              {"to", S(to)},
                              {"reopen_on_reply", B(!patient)}})}});
  d.approval = NoApproval("log_only class: internal status update");
  const OutcomeStatus st = PickStatus(8, 8, 0);
  Value resp = O({{"http", Http(st == OutcomeStatus::kSuccess ? 200
                                : st == OutcomeStatus::kError ? 500
                                                              : 422)}});
  std::string error;
  if (st == OutcomeStatus::kSuccess) {
    resp.Set("status", S(to));
    resp.Set("updated_at", S(Rfc3339(now + rng.Range(50, 900))));
  } else if (st == OutcomeStatus::kFailure) {
    error =
        "RecordInvalid: status transition not allowed from the current "
        "state";
  } else {
    error = fmt::format("HTTP 500 from the {} API", system);
  }
  d.outcome =
      Outcome(st, st == OutcomeStatus::kSuccess ? target : std::string(),
              std::move(resp), std::move(error));
}

// ---------------------------------------------------------------------------
// Assembly.

void Generator::State::AddEvent(const Draft& d, Value& params) {
  event_back_ms += rng.Range(3 * kMinute, 9 * kHour);
  Value ev = O({{"at", S(Rfc3339(now - event_back_ms))},
                {"event", S(rng.Pick(d.event_names))},
                {"ref", S(d.event_ref)},
                {"id", S("evt_" + B62(rng, 20))}});
  Value* list = params.Find("related_events");
  if (list == nullptr) {
    params.Set("related_events", A({}));
    list = params.Find("related_events");
  }
  list->as_array().push_back(std::move(ev));
}

// Omits the parts real integrations most often leave out; the article's
// three most-often-missing fields (model version, approval, AI output)
// dominate.
void Generator::State::Incomplete(Value& rec) {
  const int parts = rng.Chance(0.25) ? 2 : 1;
  for (int i = 0; i < parts; ++i) {
    switch (static_cast<Part>(rng.Weighted({34, 30, 24, 6, 6}))) {
      case Part::kModelVersion:
        rec.Find("model")->Erase("version");
        break;
      case Part::kApproval:
        rec.Erase("approval");
        break;
      case Part::kAiOutput:
        rec.Erase("ai_output");
        break;
      case Part::kOutcome:
        rec.Erase("outcome");
        break;
      case Part::kPrompt:
        rec.Find("model")->Erase("prompt_template");
        break;
    }
  }
}

// Lengthens or shortens the free text until the canonical size is within
// [kMinRecordBytes, kMaxRecordBytes].
void Generator::State::Fit(Value& rec, Draft& d) {
  Value* params = rec.Find("action")->Find("params");
  auto apply = [&] {
    if (Value* ai = rec.Find("ai_output"); ai != nullptr) {
      ai->Set("reasoning", S(d.reasoning.Join()));
    }
    params->Set(d.excerpt_key, S(d.excerpt.Join()));
  };
  const bool has_ai = rec.Find("ai_output") != nullptr;
  apply();
  size_t size = json::Canonical(rec).size();
  while (size > kMaxRecordBytes) {
    Value* events = params->Find("related_events");
    if (events != nullptr && !events->as_array().empty()) {
      events->as_array().pop_back();
      if (events->as_array().empty()) params->Erase("related_events");
    } else if (!(has_ai && d.reasoning.Shrink()) && !d.excerpt.Shrink()) {
      break;
    }
    apply();
    size = json::Canonical(rec).size();
  }
  while (size < kMinRecordBytes) {
    if (!(has_ai && d.reasoning.Grow()) && !d.excerpt.Grow()) {
      AddEvent(d, *params);
      params = rec.Find("action")->Find("params");
    }
    apply();
    size = json::Canonical(rec).size();
  }
  assert(size >= kMinRecordBytes && size <= kMaxRecordBytes);
}

Value Generator::State::Next() {
  // Time: a few seconds per record, with occasional bursts from batch jobs,
  // and some events landing on whole seconds (scheduled jobs).
  if (counter > 0) {
    now += rng.Chance(0.15) ? rng.Range(150, 1050) : rng.Range(1000, 8000);
  }
  if (rng.Chance(0.15)) now = (now + 999) / 1000 * 1000;
  ++counter;
  event_back_ms = 0;

  Draft d;
  switch (rng.Weighted({22, 16, 11, 10, 4, 3, 3, 10, 6, 9, 6})) {
    case 0:
      Refund(d);
      break;
    case 1:
      Email(d);
      break;
    case 2:
      StageUpdate(d);
      break;
    case 3:
      LeadRoute(d);
      break;
    case 4:
      ContractUpdate(d);
      break;
    case 5:
      RecordDelete(d);
      break;
    case 6:
      ContactDelete(d);
      break;
    case 7:
      TaskCreate(d);
      break;
    case 8:
      CalendarCreate(d);
      break;
    case 9:
      Notify(d);
      break;
    default:
      StatusUpdate(d);
      break;
  }

  const Deployment& dep = kDeployments[d.deployment];
  const ModelStep& m = ChooseModel(dep);
  const double periods = ElapsedPeriods();
  const int64_t prompt_minor =
      dep.prompt_minor + static_cast<int64_t>((periods + dep.prompt_phase) / 2);
  const std::string prompt_version =
      fmt::format("v{}.{}", dep.prompt_major, prompt_minor);
  const int64_t app_steps = static_cast<int64_t>(periods);
  const std::string app_version = fmt::format(
      "{}@2.{}.{}", dep.app, dep.app_minor + app_steps / 3, app_steps % 3);
  const int64_t run = (now - start_ms) / (15 * kMinute) + 1;

  Value model =
      O({{"provider", S(m.provider)},
         {"name", S(m.name)},
         {"version", S(m.version)},
         {"prompt_template",
          O({{"id", S(dep.prompt_id)},
             {"version", S(prompt_version)},
             {"sha256", S(StableHex64(std::string(dep.prompt_id) + "@" +
                                      prompt_version))}})},
         {"parameters",
          O({{"temperature", N(0.2)}, {"max_output_tokens", I(1024)}})}});
  Value context =
      O({{"occurred_at", S(Rfc3339(now))},
         {"environment", S(rng.Chance(0.06) ? "staging" : "production")},
         {"job_id",
          S(fmt::format("{}-{}-r{:04}", dep.workflow, DateCompact(now), run))},
         {"app_version", S(app_version)},
         {"trace_id", S(Hex(rng, 32))},
         {"span_id", S(Hex(rng, 16))}});
  Value labels = O({{"team", S(d.team != nullptr ? d.team : dep.team)},
                    {"workflow", S(dep.workflow)},
                    {"risk_class", S(d.risk_class)},
                    {"region", S(d.cloud_region)}});

  Value rec = O({{"action_id", S(ActionId())},
                 {"trigger", std::move(d.trigger)},
                 {"model", std::move(model)},
                 {"ai_output", std::move(d.ai_output)},
                 {"action", std::move(d.action)},
                 {"approval", std::move(d.approval)},
                 {"context", std::move(context)},
                 {"outcome", std::move(d.outcome)},
                 {"subject", std::move(d.subject)},
                 {"labels", std::move(labels)}});

  // Some records carry a few earlier related events, as integrations that
  // attach their own audit context do.
  const auto events = static_cast<int64_t>(rng.Weighted({60, 25, 15}));
  for (int64_t i = 0; i < events; ++i) {
    AddEvent(d, *rec.Find("action")->Find("params"));
  }
  if (rng.Chance(options.incomplete_fraction)) Incomplete(rec);
  Fit(rec, d);
  return rec;
}

Generator::Generator(const Options& options) : state_(new State(options)) {}

Generator::~Generator() { delete state_; }

json::Value Generator::Next() { return state_->Next(); }

std::string Generator::NextLine() { return json::Canonical(state_->Next()); }

}  // namespace actledger::gen
