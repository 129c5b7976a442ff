// Personal fields for the local CLI: decryption and subject lookups.
#include <cstdio>

#include "cli/cli.h"

namespace actledger::cli {

keystore::RecordDecryptor LocalReader(const GlobalOptions& g) {
  return keystore::RecordDecryptor::ForDir(g.data_dir,
                                           keystore::View::kPlaintext);
}

void NoteRedactions(const keystore::RecordDecryptor& reader) {
  const std::string w = reader.warning();
  if (!w.empty()) std::fprintf(stderr, "actledger: note: %s\n", w.c_str());
}

void AddSubjectBlindId(const GlobalOptions& g, index::QueryFilter* filter) {
  if (!filter->subject_type || !filter->subject_id) return;
  std::string warning;
  filter->subject_blind_id = keystore::BlindIdForLookup(
      g.data_dir, *filter->subject_type + ":" + *filter->subject_id, &warning);
  if (!warning.empty()) {
    std::fprintf(stderr, "actledger: note: %s\n", warning.c_str());
  }
}

}  // namespace actledger::cli
