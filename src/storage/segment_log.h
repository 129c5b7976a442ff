// The append-only segment log: the ledger's source of truth.
//
// Records are framed (length, sequence number, CRC-32C) and appended to
// segment files named by the sequence number of their first record; a
// segment that reaches the size limit is sealed (synced, never written
// again) and a new one begun. The byte layout is specified in
// docs/FORMAT.md:
//
//   segment = header *frame
//   header  = "ALSEG001" first_seq:u64le crc:u32le zero:u32le      (24 B)
//   frame   = crc:u32le length:u32le seq:u64le payload:length*OCTET
//             crc = CRC-32C(length || seq || payload)
//
// Thread safety: Append and CutTail must be called by one thread (the
// ledger's writer); Read may be called concurrently with them for frames
// that Append has returned.
#ifndef ACTLEDGER_STORAGE_SEGMENT_LOG_H_
#define ACTLEDGER_STORAGE_SEGMENT_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/status.h"
#include "storage/file.h"

namespace actledger::storage {

constexpr size_t kSegmentHeaderSize = 24;
constexpr size_t kFrameHeaderSize = 16;
// Larger lengths are treated as corruption, not allocated.
constexpr uint32_t kMaxFramePayload = 16u << 20;

// Appends the frame for (seq, payload) to *out.
void EncodeFrame(uint64_t seq, std::string_view payload, std::string* out);
// The same in two steps, for a payload written straight into *out:
// BeginFrame reserves the header and returns where the frame starts; the
// caller appends the payload; FinishFrame fills the header in and returns
// the payload. Precondition: the payload is at most kMaxFramePayload.
size_t BeginFrame(std::string* out);
std::string_view FinishFrame(uint64_t seq, size_t start, std::string* out);

enum class FrameStatus {
  kOk,
  kTruncated,  // fewer bytes than the header or its length says
  kBadLength,  // zero or over kMaxFramePayload
  kBadCrc,
};
const char* FrameStatusName(FrameStatus s);

struct DecodedFrame {
  uint64_t seq = 0;
  std::string_view payload;  // points into the decoded buffer
  size_t size = 0;           // header + payload
};
// Decodes the frame at the start of `bytes`. With check_crc false only the
// length is checked (the caller checks FrameCrcOk later, e.g. in parallel).
FrameStatus DecodeFrame(std::string_view bytes, DecodedFrame* out,
                        bool check_crc = true);
// Whether a whole frame's (header + payload) checksum matches.
bool FrameCrcOk(std::string_view frame);

// Whether a frame with a valid checksum and a seq in [min_seq, min_seq +
// 2^20) starts at any offset of `bytes`. Tells damage in the middle of a
// file (valid records follow: never cut) from a torn tail (nothing valid
// follows: unacknowledged, safe to cut).
bool ValidFrameFollows(std::string_view bytes, uint64_t min_seq);

std::string EncodeSegmentHeader(uint64_t first_seq);
// Errors: kDataLoss when the header is malformed.
Result<uint64_t> DecodeSegmentHeader(std::string_view bytes);

// "00000000000000001234.seg"
std::string SegmentFileName(uint64_t first_seq);

class SegmentLog {
 public:
  struct Options {
    uint64_t max_segment_bytes = 64ull << 20;
  };

  // Lists the segments in `log_dir` (created when writable and absent).
  static Result<std::unique_ptr<SegmentLog>> Open(const std::string& log_dir,
                                                  const Options& options,
                                                  bool writable);

  const std::string& dir() const { return dir_; }
  // First sequence number of each segment, ascending.
  std::vector<uint64_t> segments() const;
  std::string SegmentPath(uint64_t first_seq) const;
  // Index into segments() of the segment holding `seq`, or -1.
  int SegmentIndexOf(uint64_t seq) const;

  // --- Recovery -----------------------------------------------------------
  struct ScanResult {
    uint64_t next_seq = 0;    // one past the last valid record
    uint64_t end_offset = 0;  // end of the last valid frame (last segment)
    bool tail_damaged = false;
    uint64_t damage_offset = 0;  // where the invalid bytes begin
    uint64_t damage_bytes = 0;   // how many bytes follow, to the file end
    std::string damage_reason;
    bool empty_segment_dropped = false;
  };
  using FrameFn = std::function<Status(uint64_t seq, uint64_t offset,
                                       std::string_view payload)>;
  // Reads every frame from record `seq` (at `offset` in its segment; pass
  // kSegmentHeaderSize for a segment's first record) to the end of the log,
  // calling fn for each. An invalid frame in the last segment ends the scan
  // and is reported as tail damage; anywhere else it is kDataLoss. Sequence
  // numbers must continue without gaps (kDataLoss otherwise).
  Result<ScanResult> Scan(uint64_t seq, uint64_t offset,
                          const FrameFn& fn) const;

  // Writer only: removes the damaged tail found by Scan and prepares to
  // append after it.
  Status Recover(const ScanResult& scan);

  // --- Writing ------------------------------------------------------------
  // Appends encoded frames (EncodeFrame, or BeginFrame/FinishFrame): frame
  // i starts at frames[starts[i]] and holds seq first_seq + i. Writes them
  // from `frames` without copying, rolling to new segments as needed, then
  // makes them durable (fdatasync; new files and their directory entries
  // are synced too). (*offsets)[i] is the offset of frame i in its
  // segment. On error nothing of the call remains (the active segment is
  // truncated back) and the log stays usable; kIoError carries the OS
  // reason (e.g. no space left). Frames out of place or out of sequence
  // are refused (kInternal) before anything is written.
  // Precondition: first_seq == next_seq().
  Status Append(uint64_t first_seq, std::string_view frames,
                const std::vector<size_t>& starts,
                std::vector<uint64_t>* offsets);
  uint64_t next_seq() const { return next_seq_; }

  // Writer only: replaces segment `first_seq` by `contents` (a whole
  // segment: header and frames) through SEGMENT.rewrite: written, synced,
  // renamed over the segment, directory synced; a crash leaves either file
  // whole. The active segment is reopened for appending after it. Sealed
  // segments are rewritten only this way (a retention purge).
  Status ReplaceSegment(uint64_t first_seq, std::string_view contents);
  // "SEGMENT.rewrite": the temporary file ReplaceSegment writes.
  std::string RewritePath(uint64_t first_seq) const;

  // --- Reading ------------------------------------------------------------
  // The payload of record `seq` whose frame starts at `offset`.
  // Errors: kDataLoss when the frame there is invalid or has another seq.
  Result<std::string> Read(uint64_t seq, uint64_t offset) const;

 private:
  SegmentLog(std::string dir, Options options, bool writable)
      : dir_(std::move(dir)), options_(options), writable_(writable) {}
  Status StartSegment(uint64_t first_seq);

  const std::string dir_;
  const Options options_;
  const bool writable_;
  mutable std::mutex mu_;  // guards segments_
  std::vector<uint64_t> segments_;
  // Writer state.
  File active_;
  uint64_t active_size_ = 0;
  uint64_t active_frames_ = 0;
  uint64_t next_seq_ = 0;
};

}  // namespace actledger::storage

#endif  // ACTLEDGER_STORAGE_SEGMENT_LOG_H_
