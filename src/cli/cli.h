// Shared pieces of the `actledger` command-line front end.
#ifndef ACTLEDGER_CLI_CLI_H_
#define ACTLEDGER_CLI_CLI_H_

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/record.h"
#include "actledger/status.h"
#include "index/index.h"
#include "keystore/access.h"

namespace actledger::cli {

struct GlobalOptions {
  std::string data_dir;  // --data, $ACTLEDGER_DATA, ./actledger-data
  bool strict = false;
  size_t max_record_bytes = size_t{256} * 1024;
  // --token or $ACTLEDGER_TOKEN: act as that token's principal.
  std::string token;
};

// "local:<OS user name>": the principal of the local CLI.
std::string LocalPrincipal();

// {"code":"invalid_argument","field":"…","message":"…"}
std::string ErrorJson(const Status& status);
// {"seq":N,"action_id":"…","leaf_hash":"<hex>","missing":[…]}
std::string ReceiptJson(const Receipt& receipt);
std::string JsonString(std::string_view s);
std::string JsonStringArray(const std::vector<std::string>& items);

// Prints "actledger: <message>" to stderr and returns the exit code.
int Fail(const Status& status);

// Reads `path` ("-" or empty: standard input) line by line, calling
// fn(line_number, line) for each; stops early if fn returns false.
Status ForEachLine(const std::string& path,
                   const std::function<bool(size_t, std::string_view)>& fn);
Result<std::string> ReadAllInput(const std::string& path);

// How the local CLI reads personal fields (docs/ERASURE.md): decrypted
// when DIR's master key is readable, else "[redacted]".
keystore::RecordDecryptor LocalReader(const GlobalOptions& g);
// Prints the reader's warning (why fields were redacted), if any, once.
void NoteRedactions(const keystore::RecordDecryptor& reader);
// Sets the filter's subject_blind_id so that records whose subject id is
// encrypted match --subject TYPE:ID too.
void AddSubjectBlindId(const GlobalOptions& g, index::QueryFilter* filter);

bool StderrIsTerminal();
// A one-line progress indicator on stderr (terminals only).
void ShowProgress(const char* what, uint64_t done, uint64_t total);

}  // namespace actledger::cli

#endif  // ACTLEDGER_CLI_CLI_H_
