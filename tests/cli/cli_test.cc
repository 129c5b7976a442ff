// End-to-end tests of the `actledger` binary: the command lines, output
// shapes and exit codes of PRODUCT.md section 6. Each test runs the built
// binary (ACTLEDGER_BIN) in a fresh temporary data directory and checks what
// a user or a script would see: stdout, stderr and the exit code.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actledger/checkpoint.h"
#include "actledger/json.h"
#include "actledger/merkle.h"
#include "cli/child_process.h"

namespace actledger {
namespace {

using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kSegment0[] = "log/00000000000000000000.seg";
// A child that runs longer than this is killed and reported as exit -1.
constexpr auto kChildTimeout = std::chrono::seconds(120);

using cli_testing::Lines;
using cli_testing::ReadFile;
using cli_testing::WriteFile;

std::string StripNewline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(ACTLEDGER_BIN));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

using cli_testing::RunResult;

int WaitChild(pid_t pid) { return cli_testing::WaitChild(pid, kChildTimeout); }

json::Value ParseJson(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << " in: " << text;
  return v.ok() ? *std::move(v) : json::Value();
}

std::vector<std::string> Keys(const json::Value& v) {
  std::vector<std::string> keys;
  if (!v.is_object()) return keys;
  for (const auto& [k, unused] : v.as_object()) keys.push_back(k);
  return keys;
}

std::vector<std::string> StringArray(const json::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const json::Value& item : v->as_array()) {
    out.push_back(item.is_string() ? item.as_string() : "<not a string>");
  }
  return out;
}

std::vector<merkle::Hash> HashArray(const json::Value* v) {
  std::vector<merkle::Hash> out;
  for (const std::string& hex : StringArray(v)) {
    Result<merkle::Hash> h = merkle::HashFromHex(hex);
    EXPECT_TRUE(h.ok()) << hex;
    if (h.ok()) out.push_back(*h);
  }
  return out;
}

merkle::Hash HashMember(const json::Value& v, std::string_view key) {
  const json::Value* m = v.Find(key);
  EXPECT_TRUE(m != nullptr && m->is_string()) << key;
  if (m == nullptr || !m->is_string()) return {};
  EXPECT_THAT(m->as_string(), MatchesRegex("[0-9a-f]{64}")) << key;
  Result<merkle::Hash> h = merkle::HashFromHex(m->as_string());
  return h.ok() ? *h : merkle::Hash{};
}

uint64_t NumberMember(const json::Value& v, std::string_view key) {
  const json::Value* m = v.Find(key);
  EXPECT_TRUE(m != nullptr && m->is_number()) << key;
  return m != nullptr && m->is_number() ? static_cast<uint64_t>(m->as_number())
                                        : 0;
}

std::string StringMember(const json::Value& v, std::string_view key) {
  const json::Value* m = v.Find(key);
  EXPECT_TRUE(m != nullptr && m->is_string()) << key;
  return m != nullptr && m->is_string() ? m->as_string() : "";
}

// Sets the member at a dotted path, creating objects on the way.
void SetPath(json::Value* v, std::string_view path, json::Value x) {
  const size_t dot = path.find('.');
  const std::string key(path.substr(0, dot));
  if (dot == std::string_view::npos) {
    v->Set(key, std::move(x));
    return;
  }
  if (v->Find(key) == nullptr) v->Set(key, json::Value::MakeObject());
  SetPath(v->Find(key), path.substr(dot + 1), std::move(x));
}

void ErasePath(json::Value* v, std::string_view path) {
  const size_t dot = path.find('.');
  if (dot == std::string_view::npos) {
    v->Erase(path);
    return;
  }
  json::Value* child = v->Find(path.substr(0, dot));
  ASSERT_NE(child, nullptr) << path;
  ErasePath(child, path.substr(dot + 1));
}

std::string LocalUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "uid-" + std::to_string(::geteuid());
}

// A running `actledger` whose stdin and stdout are pipes the test holds.
class PipedChild {
 public:
  explicit PipedChild(const std::vector<std::string>& args,
                      const std::string& stderr_path) {
    int in[2], out[2];
    EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    std::vector<char*> argv = Argv(args);
    pid_ = ::fork();
    if (pid_ == 0) {
      int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~PipedChild() {
    CloseStdin();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
  }

  pid_t pid() const { return pid_; }

  void Write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(stdin_, bytes.data(), bytes.size());
      ASSERT_GT(n, 0);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One line of stdout without its "\n", or "" after `timeout_ms`.
  std::string ReadLine(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(timeout_ms);
    for (;;) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      ssize_t n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  void CloseStdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  // Closes stdin (end of input) and returns the exit code.
  int Finish() {
    CloseStdin();
    int rc = WaitChild(pid_);
    pid_ = -1;
    return rc;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-cli-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << templ;
    tmp_ = templ;
    data_ = tmp_ + "/data";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  std::string Tmp(std::string_view name) const {
    return tmp_ + "/" + std::string(name);
  }

  // Runs `actledger ARGS` with `input` on stdin.
  RunResult Run(const std::vector<std::string>& args,
                const std::string& input = "") {
    return cli_testing::RunBinary(ACTLEDGER_BIN, args, input, {}, tmp_);
  }

  // Runs `actledger --data DIR ARGS`.
  RunResult RunData(std::vector<std::string> args,
                    const std::string& input = "") {
    args.insert(args.begin(), {"--data", data_});
    return Run(args, input);
  }

  std::string Gen(int count, int seed, const char* incomplete = "0") {
    RunResult r = Run({"gen", "--count", std::to_string(count), "--seed",
                       std::to_string(seed), "--incomplete", incomplete});
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out;
  }

  // One complete record (all seven fields), as an object to edit.
  json::Value CompleteRecord() { return ParseJson(Lines(Gen(1, 3))[0]); }

  void Init() {
    RunResult r = RunData({"init", "--origin", "example.com/cli-test"});
    ASSERT_EQ(r.exit_code, 0) << r;
  }

  // Appends `count` generated records; returns the parsed receipts.
  std::vector<json::Value> Append(int count, int seed) {
    RunResult r = RunData({"append"}, Gen(count, seed));
    EXPECT_EQ(r.exit_code, 0) << r;
    std::vector<json::Value> receipts;
    for (const std::string& line : Lines(r.out)) {
      receipts.push_back(ParseJson(line));
    }
    EXPECT_EQ(receipts.size(), static_cast<size_t>(count)) << r;
    return receipts;
  }

  // The root of the tree of the first `size` records, from the CLI.
  merkle::Hash RootAt(uint64_t size) {
    RunResult r = RunData(
        {"proof", "consistency", std::to_string(size), std::to_string(size)});
    EXPECT_EQ(r.exit_code, 0) << r;
    return HashMember(ParseJson(r.out), "new_root");
  }

  std::string tmp_;
  std::string data_;
};

// --- usage -----------------------------------------------------------------

TEST_F(Cli, HelpOfEveryCommandExitsZeroAndNamesIt) {
  const std::vector<std::vector<std::string>> commands = {
      {"init"},
      {"append"},
      {"validate"},
      {"canon"},
      {"get"},
      {"checkpoint"},
      {"pubkey"},
      {"proof"},
      {"proof", "inclusion"},
      {"proof", "consistency"},
      {"verify"},
      {"demo"},
      {"gen"}};
  for (const auto& command : commands) {
    std::string name;
    for (const std::string& word : command) name += " " + word;
    SCOPED_TRACE(name);
    std::vector<std::string> args = command;
    args.push_back("--help");
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("actledger" + name + " ")) << r;
  }
  RunResult top = Run({"--help"});
  EXPECT_EQ(top.exit_code, 0) << top;
  EXPECT_THAT(top.out, HasSubstr("Exit codes"));
}

TEST_F(Cli, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"no-such-command"},
      {"get"},
      {"get", "not-a-number"},
      {"proof"},
      {"proof", "inclusion"},
      {"proof", "consistency", "1"},
      {"append", "--no-such-flag"},
  };
  for (const auto& args : bad) {
    std::string line;
    for (const std::string& word : args) line += " " + word;
    SCOPED_TRACE(line);
    RunResult r = RunData(args);
    EXPECT_EQ(r.exit_code, 2) << r;
    EXPECT_FALSE(r.err.empty()) << r;
  }
}

// --- canon -----------------------------------------------------------------

// RFC 8785 section 3.2.2.
constexpr char kRfc8785Input[] =
    "{\n"
    "  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
    "              2e-3, 0.000000000000000000000000001],\n"
    "  \"string\": "
    "\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
    "  \"literals\": [null, true, false]\n"
    "}\n";
constexpr char kRfc8785Output[] =
    "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,"
    "0.002,1e-27],\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/"
    "\"}\n";

// RFC 8785 section 3.2.3: keys sorted by UTF-16 code units.
constexpr char kRfc8785SortInput[] =
    "{\n"
    "  \"\\u20ac\": \"Euro Sign\",\n"
    "  \"\\r\": \"Carriage Return\",\n"
    "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
    "  \"1\": \"One\",\n"
    "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
    "  \"\\u0080\": \"Control\",\n"
    "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
    "}\n";
constexpr char kRfc8785SortOutput[] =
    "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
    "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\","
    "\"\xE2\x82\xAC\":\"Euro Sign\",\"\xF0\x9F\x98\x80\":\"Emoji: Grinning "
    "Face\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}\n";

TEST_F(Cli, CanonPrintsRfc8785ExamplesFromFileAndStdin) {
  WriteFile(Tmp("rfc.json"), kRfc8785Input);
  RunResult file = Run({"canon", Tmp("rfc.json")});
  EXPECT_EQ(file.exit_code, 0) << file;
  EXPECT_EQ(file.out, kRfc8785Output);

  RunResult stdin_dash = Run({"canon", "-"}, kRfc8785SortInput);
  EXPECT_EQ(stdin_dash.exit_code, 0) << stdin_dash;
  EXPECT_EQ(stdin_dash.out, kRfc8785SortOutput);

  RunResult stdin_default = Run({"canon"}, kRfc8785Input);
  EXPECT_EQ(stdin_default.exit_code, 0) << stdin_default;
  EXPECT_EQ(stdin_default.out, kRfc8785Output);
}

TEST_F(Cli, CanonPrintsOneValuePerLineForNdjson) {
  RunResult r = Run({"canon"},
                    "{\"b\": 2, \"a\": [1.0, -0, 1e21, 1e-7]}\n"
                    "\n"
                    "  \"\\u00e9\"  \n"
                    "[5e-324, 9007199254740992, 0.000001]\n");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "{\"a\":[1,0,1e+21,1e-7],\"b\":2}\n"
            "\"\xC3\xA9\"\n"
            "[5e-324,9007199254740992,0.000001]\n");
}

TEST_F(Cli, CanonOfPrettyPrintedValueIsOneLine) {
  RunResult r = Run({"canon"},
                    "{\n"
                    "  \"z\": {\n"
                    "    \"y\": [1,\n"
                    "          2]\n"
                    "  },\n"
                    "  \"a\": true\n"
                    "}\n");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "{\"a\":true,\"z\":{\"y\":[1,2]}}\n");
}

TEST_F(Cli, CanonRejectsInvalidNdjsonLineNamingIt) {
  RunResult r = Run({"canon"}, "{\"a\":1}\n{\"a\":}\n[2]\n");
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.err, HasSubstr("line 2")) << r;
  EXPECT_THAT(r.err, Not(HasSubstr("line 1"))) << r;
  EXPECT_THAT(r.err, Not(HasSubstr("line 3"))) << r;
}

TEST_F(Cli, CanonRejectsDuplicateKeysAndBadUtf8) {
  RunResult dup = Run({"canon"}, "{\"a\":1,\"a\":2}\n");
  EXPECT_EQ(dup.exit_code, 3) << dup;
  EXPECT_THAT(dup.err, HasSubstr("line 1")) << dup;
  RunResult utf8 = Run({"canon"}, "\"\xC3\"\n");
  EXPECT_EQ(utf8.exit_code, 3) << utf8;
  RunResult surrogate = Run({"canon"}, "\"\\ud800\"\n");
  EXPECT_EQ(surrogate.exit_code, 3) << surrogate;
}

// A user who pretty-printed one value and broke it on line 4 expects to be
// told about line 4 (and the column), not about every line of the document.
TEST_F(Cli, CanonRejectsInvalidPrettyPrintedValueNamingTheBadLine) {
  RunResult r = Run({"canon"},
                    "{\n"
                    "  \"a\": 1,\n"
                    "  \"b\": [1,\n"
                    "    2,,]\n"
                    "}\n");
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_THAT(r.err, HasSubstr("line 4, column 7")) << r;
  EXPECT_THAT(r.err, Not(HasSubstr("line 1:"))) << r;
  EXPECT_THAT(r.err, Not(HasSubstr("line 5"))) << r;
}

TEST_F(Cli, CanonOfMissingFileIsInputRejected) {
  RunResult r = Run({"canon", Tmp("no-such-file.json")});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.err, HasSubstr("no-such-file.json")) << r;
}

// --- validate --------------------------------------------------------------

TEST_F(Cli, ValidateAcceptsGeneratedRecords) {
  const std::string input = Gen(20, 3, "0.05");
  const std::vector<std::string> records = Lines(input);
  ASSERT_EQ(records.size(), 20u);
  RunResult r = Run({"validate"}, input);
  EXPECT_EQ(r.exit_code, 0) << r;
  const std::vector<std::string> out = Lines(r.out);
  ASSERT_EQ(out.size(), 20u) << r;
  for (size_t i = 0; i < out.size(); ++i) {
    SCOPED_TRACE(out[i]);
    json::Value v = ParseJson(out[i]);
    EXPECT_THAT(Keys(v), ElementsAre("ok", "action_id", "missing"));
    ASSERT_NE(v.Find("ok"), nullptr);
    EXPECT_TRUE(v.Find("ok")->is_bool() && v.Find("ok")->as_bool());
    EXPECT_EQ(StringMember(v, "action_id"),
              StringMember(ParseJson(records[i]), "action_id"));
    ASSERT_NE(v.Find("missing"), nullptr);
    EXPECT_TRUE(v.Find("missing")->is_array());
  }
}

struct BadRecord {
  const char* name;
  std::string line;
  const char* code;
  const char* field;
};

TEST_F(Cli, ValidateRejectsBadRecordsNamingTheField) {
  const json::Value base = CompleteRecord();
  auto with = [&](std::string_view path, json::Value v) {
    json::Value rec = base;
    SetPath(&rec, path, std::move(v));
    return json::Canonical(rec);
  };
  using json::Value;
  const std::string base_line = json::Canonical(base);
  std::vector<BadRecord> cases = {
      {"money as number", with("action.amount.value", Value::Number(340.0)),
       "invalid_argument", "action.amount.value"},
      {"bad currency", with("action.amount.currency", Value::String("usd")),
       "invalid_argument", "action.amount.currency"},
      {"confidence 1.5", with("ai_output.confidence", Value::Number(1.5)),
       "invalid_argument", "ai_output.confidence"},
      {"non-UTC time",
       with("context.occurred_at", Value::String("2026-03-01T12:00:00+02:00")),
       "invalid_argument", "context.occurred_at"},
      {"unknown trigger.type", with("trigger.type", Value::String("cron")),
       "invalid_argument", "trigger.type"},
      {"action.type not a string", with("action.type", Value::Number(5)),
       "invalid_argument", "action.type"},
      {"action_id over 128 bytes",
       with("action_id", Value::String(std::string(129, 'a'))),
       "invalid_argument", "action_id"},
      {"envelope seq supplied", with("seq", Value::Number(0)),
       "invalid_argument", "seq"},
      {"envelope recorded_by supplied",
       with("recorded_by", Value::String("local:mallory")), "invalid_argument",
       "recorded_by"},
      {"kind proposal", with("kind", Value::String("proposal")),
       "invalid_argument", "kind"},
      {"unknown kind", with("kind", Value::String("bogus")), "invalid_argument",
       "kind"},
      {"malformed JSON", base_line.substr(0, base_line.size() / 2),
       "invalid_argument", ""},
      {"not an object", "[1,2]", "invalid_argument", ""},
  };
  for (const BadRecord& c : cases) {
    SCOPED_TRACE(c.name);
    RunResult r = Run({"validate"}, c.line + "\n");
    EXPECT_EQ(r.exit_code, 3) << r;
    const std::vector<std::string> out = Lines(r.out);
    ASSERT_EQ(out.size(), 1u) << r;
    json::Value v = ParseJson(out[0]);
    EXPECT_THAT(Keys(v), ElementsAre("ok", "error"));
    ASSERT_NE(v.Find("ok"), nullptr);
    EXPECT_TRUE(v.Find("ok")->is_bool() && !v.Find("ok")->as_bool());
    const Value* error = v.Find("error");
    ASSERT_NE(error, nullptr);
    EXPECT_THAT(Keys(*error), ElementsAre("code", "field", "message"));
    EXPECT_EQ(StringMember(*error, "code"), c.code);
    EXPECT_EQ(StringMember(*error, "field"), c.field);
    EXPECT_FALSE(StringMember(*error, "message").empty());
  }
}

TEST_F(Cli, ValidateRejectsOversizeRecordAtTheLimit) {
  const std::string line = json::Canonical(CompleteRecord());
  const std::string size = std::to_string(line.size());
  const std::string one_less = std::to_string(line.size() - 1);

  RunResult at = Run({"validate", "--max-record-bytes", size}, line + "\n");
  EXPECT_EQ(at.exit_code, 0) << at;

  RunResult over =
      Run({"validate", "--max-record-bytes", one_less}, line + "\n");
  EXPECT_EQ(over.exit_code, 3) << over;
  json::Value v = ParseJson(StripNewline(over.out));
  const json::Value* error = v.Find("error");
  ASSERT_NE(error, nullptr) << over;
  EXPECT_EQ(StringMember(*error, "code"), "resource_exhausted");
  EXPECT_EQ(StringMember(*error, "field"), "");
  EXPECT_THAT(StringMember(*error, "message"), HasSubstr(one_less));
}

TEST_F(Cli, ValidateListsMissingPartsAndStrictRejectsThem) {
  json::Value rec = CompleteRecord();
  ErasePath(&rec, "model.version");
  ErasePath(&rec, "approval");
  const std::string line = json::Canonical(rec) + "\n";

  RunResult lenient = Run({"validate"}, line);
  EXPECT_EQ(lenient.exit_code, 0) << lenient;
  json::Value v = ParseJson(StripNewline(lenient.out));
  EXPECT_THAT(StringArray(v.Find("missing")),
              ElementsAre("model.version", "approval"));

  RunResult strict = Run({"validate", "--strict"}, line);
  EXPECT_EQ(strict.exit_code, 3) << strict;
  json::Value s = ParseJson(StripNewline(strict.out));
  const json::Value* error = s.Find("error");
  ASSERT_NE(error, nullptr) << strict;
  EXPECT_EQ(StringMember(*error, "code"), "invalid_argument");
  EXPECT_EQ(StringMember(*error, "field"), "model.version");
  EXPECT_THAT(StringMember(*error, "message"), HasSubstr("approval"));
}

TEST_F(Cli, ValidateReportsEachLineInOrder) {
  const std::vector<std::string> good = Lines(Gen(2, 4));
  RunResult r =
      Run({"validate"}, good[0] + "\n{\"seq\":1}\n\n" + good[1] + "\n");
  EXPECT_EQ(r.exit_code, 3) << r;
  const std::vector<std::string> out = Lines(r.out);
  ASSERT_EQ(out.size(), 3u) << r;
  EXPECT_THAT(out[0], HasSubstr("\"ok\":true"));
  EXPECT_THAT(out[1], HasSubstr("\"ok\":false"));
  EXPECT_THAT(out[2], HasSubstr("\"ok\":true"));
}

// --- init ------------------------------------------------------------------

TEST_F(Cli, InitPrintsVerifierKeyAndRefusesASecondTime) {
  RunResult r = RunData({"init", "--origin", "example.com/cli-test"});
  ASSERT_EQ(r.exit_code, 0) << r;
  json::Value v = ParseJson(StripNewline(r.out));
  EXPECT_THAT(Keys(v), ElementsAre("data", "origin", "verifier_key"));
  EXPECT_EQ(StringMember(v, "data"), data_);
  EXPECT_EQ(StringMember(v, "origin"), "example.com/cli-test");
  EXPECT_THAT(StringMember(v, "verifier_key"),
              MatchesRegex("example\\.com/cli-test\\+[0-9a-f]{8}\\+"
                           "[A-Za-z0-9+/]{44}"));

  struct stat st {};
  ASSERT_EQ(::stat((data_ + "/keys/signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const std::string key_before = ReadFile(data_ + "/keys/signing.key");
  RunResult again = RunData({"init", "--origin", "example.com/other"});
  EXPECT_EQ(again.exit_code, 3) << again;
  EXPECT_THAT(again.err, HasSubstr("already")) << again;
  EXPECT_EQ(ReadFile(data_ + "/keys/signing.key"), key_before);

  RunResult pubkey = RunData({"pubkey"});
  EXPECT_EQ(pubkey.exit_code, 0) << pubkey;
  EXPECT_EQ(pubkey.out, StringMember(v, "verifier_key") + "\n");
}

TEST_F(Cli, CommandsOnMissingLedgerFail) {
  RunResult append = RunData({"append"}, Gen(1, 1));
  EXPECT_EQ(append.exit_code, 3) << append;
  RunResult get = RunData({"get", "0"});
  EXPECT_EQ(get.exit_code, 3) << get;
  EXPECT_FALSE(std::filesystem::exists(data_ + "/ledger.json"));
}

// --- append and get --------------------------------------------------------

TEST_F(Cli, AppendPrintsReceiptsThatMatchStoredLeaves) {
  Init();
  const std::vector<std::string> input = Lines(Gen(5, 7));
  std::vector<json::Value> receipts = Append(5, 7);
  ASSERT_EQ(receipts.size(), 5u);
  for (size_t i = 0; i < receipts.size(); ++i) {
    SCOPED_TRACE(i);
    const json::Value& rc = receipts[i];
    EXPECT_THAT(Keys(rc),
                ElementsAre("seq", "action_id", "leaf_hash", "missing"));
    EXPECT_EQ(NumberMember(rc, "seq"), i);
    EXPECT_EQ(StringMember(rc, "action_id"),
              StringMember(ParseJson(input[i]), "action_id"));
    ASSERT_NE(rc.Find("missing"), nullptr);
    EXPECT_TRUE(rc.Find("missing")->is_array());

    RunResult get = RunData({"get", std::to_string(i)});
    ASSERT_EQ(get.exit_code, 0) << get;
    ASSERT_FALSE(get.out.empty());
    EXPECT_EQ(get.out.back(), '\n');
    const std::string leaf = get.out.substr(0, get.out.size() - 1);
    EXPECT_EQ(leaf.find('\n'), std::string::npos);
    EXPECT_EQ(merkle::ToHex(merkle::HashLeaf(leaf)),
              StringMember(rc, "leaf_hash"));

    // The stored bytes are canonical: canon leaves them unchanged.
    RunResult canon = Run({"canon"}, get.out);
    EXPECT_EQ(canon.exit_code, 0) << canon;
    EXPECT_EQ(canon.out, get.out);

    json::Value stored = ParseJson(leaf);
    EXPECT_EQ(NumberMember(stored, "seq"), i);
    EXPECT_EQ(StringMember(stored, "kind"), "action");
    EXPECT_EQ(StringMember(stored, "recorded_by"), "local:" + LocalUser());
    EXPECT_THAT(StringMember(stored, "recorded_at"),
                MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"));
    EXPECT_EQ(StringMember(stored, "action_id"), StringMember(rc, "action_id"));
  }
  // A second append continues the sequence.
  std::vector<json::Value> more = Append(2, 8);
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(NumberMember(more[0], "seq"), 5u);
  EXPECT_EQ(NumberMember(more[1], "seq"), 6u);
}

TEST_F(Cli, AppendFromFileArgumentAndListsMissingParts) {
  Init();
  json::Value rec = CompleteRecord();
  ErasePath(&rec, "model.version");
  ErasePath(&rec, "approval");
  rec.Erase("action_id");
  WriteFile(Tmp("in.ndjson"), json::Canonical(rec) + "\n");
  RunResult r = RunData({"append", Tmp("in.ndjson")});
  ASSERT_EQ(r.exit_code, 0) << r;
  json::Value receipt = ParseJson(StripNewline(r.out));
  EXPECT_EQ(NumberMember(receipt, "seq"), 0u);
  EXPECT_FALSE(StringMember(receipt, "action_id").empty());  // generated
  EXPECT_THAT(StringArray(receipt.Find("missing")),
              ElementsAre("model.version", "approval"));

  RunResult strict = RunData({"append", "--strict", Tmp("in.ndjson")});
  EXPECT_EQ(strict.exit_code, 3) << strict;
  EXPECT_THAT(strict.out, HasSubstr("\"field\":\"model.version\"")) << strict;
  RunResult get = RunData({"get", "1"});
  EXPECT_EQ(get.exit_code, 3) << get;
}

TEST_F(Cli, AppendMixedInputStoresOnlyValidRecordsInInputOrder) {
  Init();
  const std::vector<std::string> good = Lines(Gen(2, 11));
  json::Value bad = ParseJson(good[0]);
  SetPath(&bad, "action.amount.value", json::Value::Number(340.0));
  const std::string input =
      good[0] + "\n" + json::Canonical(bad) + "\n" + good[1] + "\n";

  for (bool from_file : {true, false}) {
    SCOPED_TRACE(from_file ? "file" : "stdin");
    std::error_code ec;
    std::filesystem::remove_all(data_, ec);
    Init();
    RunResult r;
    if (from_file) {
      WriteFile(Tmp("mixed.ndjson"), input);
      r = RunData({"append", Tmp("mixed.ndjson")});
    } else {
      r = RunData({"append", "-"}, input);
    }
    EXPECT_EQ(r.exit_code, 3) << r;
    const std::vector<std::string> out = Lines(r.out);
    ASSERT_EQ(out.size(), 3u) << r;

    json::Value first = ParseJson(out[0]);
    EXPECT_THAT(Keys(first),
                ElementsAre("seq", "action_id", "leaf_hash", "missing"));
    EXPECT_EQ(NumberMember(first, "seq"), 0u);

    json::Value rejected = ParseJson(out[1]);
    EXPECT_THAT(Keys(rejected), ElementsAre("ok", "line", "error"));
    EXPECT_EQ(NumberMember(rejected, "line"), 2u);
    const json::Value* error = rejected.Find("error");
    ASSERT_NE(error, nullptr);
    EXPECT_THAT(Keys(*error), ElementsAre("code", "field", "message"));
    EXPECT_EQ(StringMember(*error, "code"), "invalid_argument");
    EXPECT_EQ(StringMember(*error, "field"), "action.amount.value");

    json::Value third = ParseJson(out[2]);
    EXPECT_EQ(NumberMember(third, "seq"), 1u);
    EXPECT_EQ(StringMember(third, "action_id"),
              StringMember(ParseJson(good[1]), "action_id"));

    // Nothing of the rejected line was stored: the ledger holds 2 records.
    RunResult get2 = RunData({"get", "2"});
    EXPECT_EQ(get2.exit_code, 3) << get2;
    RunResult proof = RunData({"proof", "inclusion", "0"});
    ASSERT_EQ(proof.exit_code, 0) << proof;
    EXPECT_EQ(NumberMember(ParseJson(StripNewline(proof.out)), "tree_size"),
              2u);
  }
}

TEST_F(Cli, AppendRejectsOversizeRecord) {
  Init();
  const std::string line = Lines(Gen(1, 12))[0];
  RunResult r =
      RunData({"append", "--max-record-bytes", std::to_string(line.size() - 1)},
              line + "\n");
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.out, HasSubstr("\"code\":\"resource_exhausted\"")) << r;
  RunResult get = RunData({"get", "0"});
  EXPECT_EQ(get.exit_code, 3) << get;
}

TEST_F(Cli, GetOutOfRangeIsNotFound) {
  Init();
  Append(2, 1);
  RunResult r = RunData({"get", "2"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("not_found")) << r;
}

// --- checkpoint and pubkey -------------------------------------------------

TEST_F(Cli, CheckpointIsASignedNoteOverAllRecords) {
  Init();
  Append(5, 2);
  RunResult pubkey = RunData({"pubkey"});
  ASSERT_EQ(pubkey.exit_code, 0) << pubkey;
  EXPECT_THAT(pubkey.out, MatchesRegex("example\\.com/cli-test\\+[0-9a-f]{8}\\+"
                                       "[A-Za-z0-9+/]{44}\n"));

  RunResult cp = RunData({"checkpoint"});
  ASSERT_EQ(cp.exit_code, 0) << cp;
  const std::vector<std::string> lines = Lines(cp.out);
  ASSERT_EQ(lines.size(), 5u) << cp;
  EXPECT_EQ(lines[0], "example.com/cli-test");
  EXPECT_EQ(lines[1], "5");
  EXPECT_THAT(lines[2], MatchesRegex("[A-Za-z0-9+/]{43}="));
  EXPECT_EQ(lines[3], "");
  EXPECT_THAT(lines[4], MatchesRegex("\xE2\x80\x94 example\\.com/cli-test "
                                     "[A-Za-z0-9+/]+=*"));
  EXPECT_EQ(cp.out.back(), '\n');

  Result<NoteVerifier> verifier =
      NoteVerifier::FromVerifierKey(StripNewline(pubkey.out));
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  Result<std::string> body = verifier->Open(cp.out);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  Result<Checkpoint> parsed = ParseCheckpoint(*body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, "example.com/cli-test");
  EXPECT_EQ(parsed->size, 5u);
  EXPECT_EQ(parsed->root, RootAt(5));

  // One altered byte of the body and the signature no longer opens.
  std::string forged = cp.out;
  forged[lines[0].size() + 1] = '6';
  EXPECT_FALSE(verifier->Open(forged).ok());
}

// --- proofs ----------------------------------------------------------------

TEST_F(Cli, InclusionProofsVerifyAgainstTheRoot) {
  Init();
  std::vector<json::Value> receipts = Append(7, 5);
  ASSERT_EQ(receipts.size(), 7u);
  const std::vector<std::pair<uint64_t, int64_t>> cases = {
      {0, -1}, {3, -1}, {6, -1}, {0, 1}, {2, 3}, {4, 5}, {5, 6}};
  for (auto [seq, size] : cases) {
    SCOPED_TRACE("seq " + std::to_string(seq) + " size " +
                 std::to_string(size));
    std::vector<std::string> args = {"proof", "inclusion", std::to_string(seq)};
    if (size >= 0) {
      args.push_back("--size");
      args.push_back(std::to_string(size));
    }
    RunResult r = RunData(args);
    ASSERT_EQ(r.exit_code, 0) << r;
    json::Value v = ParseJson(StripNewline(r.out));
    EXPECT_THAT(Keys(v),
                ElementsAre("leaf_index", "tree_size", "root", "path"));
    const uint64_t tree_size = size < 0 ? 7 : static_cast<uint64_t>(size);
    EXPECT_EQ(NumberMember(v, "leaf_index"), seq);
    EXPECT_EQ(NumberMember(v, "tree_size"), tree_size);
    const merkle::Hash root = HashMember(v, "root");
    EXPECT_EQ(root, RootAt(tree_size));
    Result<merkle::Hash> leaf =
        merkle::HashFromHex(StringMember(receipts[seq], "leaf_hash"));
    ASSERT_TRUE(leaf.ok());
    Status st = merkle::VerifyInclusion(*leaf, seq, tree_size,
                                        HashArray(v.Find("path")), root);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
}

TEST_F(Cli, ConsistencyProofsVerifyBetweenRoots) {
  Init();
  Append(7, 6);
  const std::vector<std::pair<uint64_t, uint64_t>> cases = {
      {1, 7}, {3, 7}, {4, 7}, {3, 5}, {6, 7}, {7, 7}, {0, 7}};
  for (auto [old_size, new_size] : cases) {
    SCOPED_TRACE(std::to_string(old_size) + " -> " + std::to_string(new_size));
    RunResult r = RunData({"proof", "consistency", std::to_string(old_size),
                           std::to_string(new_size)});
    ASSERT_EQ(r.exit_code, 0) << r;
    json::Value v = ParseJson(StripNewline(r.out));
    EXPECT_THAT(Keys(v), ElementsAre("old_size", "new_size", "old_root",
                                     "new_root", "path"));
    EXPECT_EQ(NumberMember(v, "old_size"), old_size);
    EXPECT_EQ(NumberMember(v, "new_size"), new_size);
    const merkle::Hash old_root = HashMember(v, "old_root");
    const merkle::Hash new_root = HashMember(v, "new_root");
    if (old_size == 0) {
      EXPECT_EQ(old_root, merkle::EmptyRoot());
    }
    Status st = merkle::VerifyConsistency(old_size, new_size, old_root,
                                          new_root, HashArray(v.Find("path")));
    EXPECT_TRUE(st.ok()) << st.ToString();
    // The roots are the ones inclusion proofs report.
    if (old_size > 0) {
      RunResult inc = RunData(
          {"proof", "inclusion", "0", "--size", std::to_string(old_size)});
      EXPECT_EQ(HashMember(ParseJson(StripNewline(inc.out)), "root"), old_root);
    }
  }
}

TEST_F(Cli, ProofsOutOfRangeAreRejected) {
  Init();
  Append(4, 9);
  const std::vector<std::vector<std::string>> bad = {
      {"proof", "inclusion", "4"},
      {"proof", "inclusion", "1", "--size", "1"},
      {"proof", "inclusion", "0", "--size", "5"},
      {"proof", "inclusion", "0", "--size", "0"},
      {"proof", "consistency", "3", "2"},
      {"proof", "consistency", "2", "5"},
  };
  for (const auto& args : bad) {
    std::string line;
    for (const std::string& word : args) line += " " + word;
    SCOPED_TRACE(line);
    RunResult r = RunData(args);
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_EQ(r.out, "") << r;
    EXPECT_THAT(r.err, HasSubstr("invalid_argument")) << r;
  }
}

// --- verify ----------------------------------------------------------------

// Flips one byte in the middle of record `seq`'s stored bytes in segment 0;
// returns the file offset.
size_t FlipByteOfRecord(const std::string& segment, const std::string& leaf) {
  std::string bytes = ReadFile(segment);
  const size_t at = bytes.find(leaf);
  EXPECT_NE(at, std::string::npos) << "record bytes not found in " << segment;
  if (at == std::string::npos) return 0;
  const size_t offset = at + leaf.size() / 2;
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x01);
  WriteFile(segment, bytes);
  return offset;
}

TEST_F(Cli, VerifyIntactLedger) {
  Init();
  Append(6, 13);
  ASSERT_EQ(RunData({"checkpoint"}).exit_code, 0);
  RunResult r = RunData({"verify"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, ::testing::StartsWith("ok: 6 records")) << r;
  EXPECT_THAT(r.out, HasSubstr(merkle::ToHex(RootAt(6)))) << r;

  RunResult j = RunData({"verify", "--json"});
  EXPECT_EQ(j.exit_code, 0) << j;
  json::Value v = ParseJson(StripNewline(j.out));
  EXPECT_THAT(Keys(v),
              ElementsAre("ok", "records", "checkpoints", "torn_tail_bytes",
                          "root", "purged", "purged_ranges", "findings"));
  // Nothing purged: the retention fields say so explicitly.
  ASSERT_NE(v.Find("purged"), nullptr);
  EXPECT_EQ(v.Find("purged")->as_number(), 0);
  ASSERT_NE(v.Find("torn_tail_bytes"), nullptr);
  EXPECT_EQ(v.Find("torn_tail_bytes")->as_number(), 0);
  ASSERT_NE(v.Find("ok"), nullptr);
  EXPECT_TRUE(v.Find("ok")->is_bool() && v.Find("ok")->as_bool());
  EXPECT_EQ(NumberMember(v, "records"), 6u);
  EXPECT_GE(NumberMember(v, "checkpoints"), 1u);
  EXPECT_EQ(HashMember(v, "root"), RootAt(6));
  ASSERT_NE(v.Find("findings"), nullptr);
  ASSERT_TRUE(v.Find("findings")->is_array());
  EXPECT_TRUE(v.Find("findings")->as_array().empty());
}

TEST_F(Cli, VerifyFindsFlippedByteAndAppendsAreRefusedUntilRestored) {
  Init();
  Append(4, 14);
  const std::string segment = data_ + "/" + kSegment0;
  const std::string original = ReadFile(segment);
  RunResult get = RunData({"get", "2"});
  ASSERT_EQ(get.exit_code, 0) << get;
  FlipByteOfRecord(segment, StripNewline(get.out));

  RunResult r = RunData({"verify"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.out, HasSubstr("FAILED")) << r;
  EXPECT_THAT(r.out, HasSubstr(kSegment0)) << r;
  EXPECT_THAT(r.out, HasSubstr("seq 2")) << r;

  RunResult j = RunData({"verify", "--json"});
  EXPECT_EQ(j.exit_code, 1) << j;
  json::Value v = ParseJson(StripNewline(j.out));
  ASSERT_NE(v.Find("ok"), nullptr);
  EXPECT_FALSE(v.Find("ok")->as_bool());
  const json::Value* findings = v.Find("findings");
  ASSERT_TRUE(findings != nullptr && findings->is_array() &&
              !findings->as_array().empty())
      << j;
  const json::Value& first = findings->as_array()[0];
  EXPECT_THAT(Keys(first), ElementsAre("what", "file", "offset", "seq"));
  EXPECT_EQ(StringMember(first, "file"), kSegment0);
  EXPECT_EQ(NumberMember(first, "seq"), 2u);
  EXPECT_FALSE(StringMember(first, "what").empty());

  EXPECT_TRUE(std::filesystem::exists(data_ + "/TAMPERED"));
  RunResult refused = RunData({"append"}, Gen(1, 15));
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_THAT(refused.err, HasSubstr("data_loss")) << refused;
  EXPECT_EQ(refused.out, "") << refused;

  WriteFile(segment, original);
  RunResult restored = RunData({"verify"});
  EXPECT_EQ(restored.exit_code, 0) << restored;
  EXPECT_THAT(restored.out, ::testing::StartsWith("ok: 4 records"));
  EXPECT_FALSE(std::filesystem::exists(data_ + "/TAMPERED"));
  std::vector<json::Value> receipts = Append(1, 15);
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(NumberMember(receipts[0], "seq"), 4u);
  EXPECT_EQ(RunData({"verify"}).exit_code, 0);
}

TEST_F(Cli, VerifyTrustedCheckpointProvesExtensionAndDetectsRollback) {
  Init();
  Append(3, 16);
  RunResult cp3 = RunData({"checkpoint"});
  ASSERT_EQ(cp3.exit_code, 0) << cp3;
  WriteFile(Tmp("cp3.txt"), cp3.out);
  std::filesystem::copy(data_, Tmp("data-at-3"),
                        std::filesystem::copy_options::recursive);

  Append(4, 17);
  RunResult cp7 = RunData({"checkpoint"});
  ASSERT_EQ(cp7.exit_code, 0) << cp7;
  WriteFile(Tmp("cp7.txt"), cp7.out);

  RunResult ok = RunData({"verify", "--trusted", Tmp("cp3.txt")});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  EXPECT_THAT(ok.out, HasSubstr("trusted checkpoint of size 3")) << ok;
  RunResult ok7 = RunData({"verify", "--trusted", Tmp("cp7.txt")});
  EXPECT_EQ(ok7.exit_code, 0) << ok7;

  // An operator restores the older copy: the ledger itself is intact, but
  // the checkpoint saved elsewhere proves it was rolled back.
  std::filesystem::remove_all(data_);
  std::filesystem::copy(Tmp("data-at-3"), data_,
                        std::filesystem::copy_options::recursive);
  EXPECT_EQ(RunData({"verify"}).exit_code, 0);
  RunResult rolled = RunData({"verify", "--trusted", Tmp("cp7.txt")});
  EXPECT_EQ(rolled.exit_code, 1) << rolled;
  EXPECT_THAT(rolled.out, ContainsRegex("roll(ed)? ?back")) << rolled;
}

TEST_F(Cli, VerifyRejectsUnusableTrustedCheckpoint) {
  Init();
  Append(2, 18);
  // Another ledger's checkpoint: not signed by this ledger's key.
  const std::string saved = data_;
  data_ = Tmp("other");
  Init();
  Append(2, 19);
  RunResult other = RunData({"checkpoint"});
  ASSERT_EQ(other.exit_code, 0) << other;
  WriteFile(Tmp("other.txt"), other.out);
  data_ = saved;

  RunResult foreign = RunData({"verify", "--trusted", Tmp("other.txt")});
  EXPECT_NE(foreign.exit_code, 0) << foreign;
  RunResult missing = RunData({"verify", "--trusted", Tmp("absent.txt")});
  EXPECT_EQ(missing.exit_code, 3) << missing;
  WriteFile(Tmp("garbage.txt"), "not a checkpoint\n");
  RunResult garbage = RunData({"verify", "--trusted", Tmp("garbage.txt")});
  EXPECT_EQ(garbage.exit_code, 3) << garbage;
  // An empty (e.g. truncated) trusted file proves nothing; passing it must
  // not report success as if the append-only check had been made.
  WriteFile(Tmp("empty.txt"), "");
  RunResult empty = RunData({"verify", "--trusted", Tmp("empty.txt")});
  EXPECT_EQ(empty.exit_code, 3) << empty;
}

// --- concurrency -----------------------------------------------------------

TEST_F(Cli, SecondWriterIsRefusedNamingTheHolderWhileReadersWork) {
  Init();
  const std::vector<std::string> records = Lines(Gen(2, 20));
  PipedChild writer({"--data", data_, "append"}, Tmp("writer.err"));
  writer.Write(records[0] + "\n");
  const std::string receipt = writer.ReadLine(60000);
  ASSERT_FALSE(receipt.empty()) << ReadFile(Tmp("writer.err"));
  EXPECT_EQ(NumberMember(ParseJson(receipt), "seq"), 0u);

  RunResult second = RunData({"append"}, records[1] + "\n");
  EXPECT_EQ(second.exit_code, 4) << second;
  EXPECT_THAT(second.err, HasSubstr("pid " + std::to_string(writer.pid())))
      << second;
  EXPECT_EQ(second.out, "") << second;

  RunResult get = RunData({"get", "0"});
  EXPECT_EQ(get.exit_code, 0) << get;
  EXPECT_EQ(merkle::ToHex(merkle::HashLeaf(StripNewline(get.out))),
            StringMember(ParseJson(receipt), "leaf_hash"));
  RunResult verify = RunData({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify;
  EXPECT_THAT(verify.out, ::testing::StartsWith("ok: 1 records")) << verify;

  // The holder keeps working, then exits cleanly at end of input.
  writer.Write(records[1] + "\n");
  const std::string receipt2 = writer.ReadLine(60000);
  EXPECT_EQ(NumberMember(ParseJson(receipt2), "seq"), 1u);
  EXPECT_EQ(writer.Finish(), 0) << ReadFile(Tmp("writer.err"));

  // With the lock released, a new writer may append.
  std::vector<json::Value> after = Append(1, 21);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(NumberMember(after[0], "seq"), 2u);
}

// --- demo ------------------------------------------------------------------

TEST_F(Cli, DemoRunsEndToEnd) {
  RunResult r = RunData({"demo", "--count", "50"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("`actledger verify`: intact, 50 records")) << r;
  RunResult verify = RunData({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify;
  EXPECT_THAT(verify.out, ::testing::StartsWith("ok: 50 records")) << verify;
}

}  // namespace
}  // namespace actledger
