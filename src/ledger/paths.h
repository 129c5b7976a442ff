// The data directory's layout, its configuration file and the checkpoint
// history (docs/FORMAT.md).
#ifndef ACTLEDGER_LEDGER_PATHS_H_
#define ACTLEDGER_LEDGER_PATHS_H_

#include <string>
#include <vector>

#include "actledger/status.h"
#include "storage/file.h"

namespace actledger {

class LedgerPaths {
 public:
  explicit LedgerPaths(std::string dir) : dir_(std::move(dir)) {}
  std::string config() const { return dir_ + "/ledger.json"; }
  std::string lock() const { return dir_ + "/LOCK"; }
  std::string tampered() const { return dir_ + "/TAMPERED"; }
  std::string keys_dir() const { return dir_ + "/keys"; }
  std::string default_key() const { return dir_ + "/keys/signing.key"; }
  std::string log_dir() const { return dir_ + "/log"; }
  std::string positions() const { return dir_ + "/log/positions"; }
  std::string tree_dir() const { return dir_ + "/tree"; }
  std::string checkpoints() const { return dir_ + "/checkpoints"; }

 private:
  std::string dir_;
};

// ledger.json: what Init decided.
struct LedgerConfig {
  int format = 1;
  std::string origin;
  std::string verifier_key;
  std::string key_path;  // empty: DIR/keys/signing.key
  std::string created_at;
  std::string admin;
  // 0: the LedgerOptions default.
  uint64_t checkpoint_every_records = 0;
  uint64_t checkpoint_every_seconds = 0;
  uint64_t max_segment_bytes = 0;

  std::string ToJson() const;
  // Errors: kNotFound when DIR holds no ledger (with a hint to run init).
  static Result<LedgerConfig> Load(const std::string& dir);
};

// The checkpoint history is a sequence of frames (the segment framing, seq
// = checkpoint number) holding signed notes. With `repair`, a torn last
// frame (a crash while appending a checkpoint) is cut off.
// On damage, *damage_offset (when given) gets the offset of the bad frame.
Result<std::vector<std::string>> ReadCheckpointHistory(
    storage::File& file, bool repair, std::vector<uint64_t>* offsets = nullptr,
    uint64_t* damage_offset = nullptr);
// Appends note number `number` (the count of notes already stored) and
// syncs; on failure nothing of it remains. Precondition: `file` opened with
// O_APPEND.
Status AppendCheckpointNote(storage::File& file, uint64_t number,
                            const std::string& note);

}  // namespace actledger

#endif  // ACTLEDGER_LEDGER_PATHS_H_
