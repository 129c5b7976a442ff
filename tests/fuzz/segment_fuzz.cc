// Segment framing and recovery on arbitrary bytes.
//
// The decoders (DecodeFrame with and without its checksum check,
// FrameCrcOk, DecodeSegmentHeader, ValidFrameFollows) must
// survive any bytes, and what they accept must re-encode to the same bytes.
// Recovery: the input becomes the bytes of segment files in a fresh log/
// directory (a valid header for seq 0 prepended half the time; sometimes
// split into a sealed segment and a last one), and a read-only
// SegmentLog::Scan from seq 0 must return a Status, never crash, and report
// only frames that decode with a valid CRC at the offset it names, in seq
// order, and that Read() returns.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "actledger/status.h"
#include "fuzz/fuzz_util.h"
#include "storage/segment_log.h"

namespace {

using actledger::Result;
using actledger::Status;
using actledger::fuzz::ByteReader;
using actledger::fuzz::Check;
namespace storage = actledger::storage;

// One scratch directory per fuzzer process, removed at exit.
const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-segment-fuzz-XXXXXX";
    Check(::mkdtemp(templ.data()) != nullptr, "mkdtemp failed", templ);
    const int registered = std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(ScratchDir(), ec);
    });
    Check(registered == 0, "atexit failed", templ);
    return new std::string(templ);
  }();
  return *dir;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  Check(out.good(), "writing a segment file failed", path);
}

void FuzzDecoders(std::string_view bytes, uint64_t min_seq) {
  storage::DecodedFrame frame;
  if (storage::DecodeFrame(bytes, &frame) == storage::FrameStatus::kOk) {
    Check(frame.size == storage::kFrameHeaderSize + frame.payload.size() &&
              frame.size <= bytes.size() &&
              frame.payload.data() == bytes.data() + storage::kFrameHeaderSize,
          "DecodeFrame reports a frame outside its input");
    std::string encoded;
    storage::EncodeFrame(frame.seq, frame.payload, &encoded);
    Check(encoded == bytes.substr(0, frame.size),
          "EncodeFrame(DecodeFrame(b)) != b");
  }
  // The split check verify uses (lengths first, checksums in parallel)
  // must accept exactly the frames the one-step decode accepts.
  storage::DecodedFrame unchecked;
  const bool split_ok =
      storage::DecodeFrame(bytes, &unchecked, /*check_crc=*/false) ==
          storage::FrameStatus::kOk &&
      storage::FrameCrcOk(bytes.substr(0, unchecked.size));
  Check(split_ok ==
            (storage::DecodeFrame(bytes, &frame) == storage::FrameStatus::kOk),
        "DecodeFrame(check_crc=false) + FrameCrcOk disagrees with DecodeFrame");
  Result<uint64_t> first = storage::DecodeSegmentHeader(bytes);
  if (first.ok()) {
    Check(storage::EncodeSegmentHeader(*first) ==
              bytes.substr(0, storage::kSegmentHeaderSize),
          "EncodeSegmentHeader(DecodeSegmentHeader(b)) != b");
  }
  storage::ValidFrameFollows(bytes, min_seq);
}

void FuzzScan(ByteReader& in) {
  const uint8_t flags = in.U8();
  const bool valid_header = (flags & 1) != 0;
  const bool two_segments = (flags & 2) != 0;
  const std::string_view body = in.Rest();

  // segments: first seq -> file bytes.
  std::map<uint64_t, std::string> files;
  std::string first = valid_header ? storage::EncodeSegmentHeader(0) : "";
  if (two_segments && !body.empty()) {
    // The last byte of the first segment names the second one's first seq,
    // so that a seq the fuzzer can match appears in the file name.
    const size_t cut = static_cast<size_t>(body[0]) % body.size();
    const uint64_t second_seq =
        1 + static_cast<uint8_t>(body[body.size() - 1]) % 16;
    files[0] = first + std::string(body.substr(1, cut));
    files[second_seq] = storage::EncodeSegmentHeader(second_seq) +
                        std::string(body.substr(1 + cut));
  } else {
    files[0] = first + std::string(body);
  }

  const std::string log_dir = ScratchDir() + "/log";
  std::error_code ec;
  std::filesystem::remove_all(log_dir, ec);
  Check(std::filesystem::create_directory(log_dir, ec), "mkdir log/ failed",
        log_dir);
  for (const auto& [seq, bytes] : files) {
    WriteFile(log_dir + "/" + storage::SegmentFileName(seq), bytes);
  }

  Result<std::unique_ptr<storage::SegmentLog>> log =
      storage::SegmentLog::Open(log_dir, {}, /*writable=*/false);
  Check(log.ok(), "SegmentLog::Open fails on a readable directory");

  struct Seen {
    uint64_t seq;
    uint64_t offset;
    std::string payload;
  };
  std::vector<Seen> seen;
  // Scan reads the segments in order, each to its end, so a frame is in the
  // file of the previous one when it directly follows it, and otherwise
  // must be the first frame of the next file. (Segment names need not match
  // the seqs inside: that is for Scan to report, after the fact.)
  auto file = files.begin();
  uint64_t expected_offset = storage::kSegmentHeaderSize;
  Result<storage::SegmentLog::ScanResult> scan = (*log)->Scan(
      0, storage::kSegmentHeaderSize,
      [&](uint64_t seq, uint64_t offset, std::string_view payload) -> Status {
        Check(seq == seen.size(), "Scan reports seqs out of order");
        if (offset != expected_offset) {
          Check(offset == storage::kSegmentHeaderSize &&
                    std::next(file) != files.end(),
                "Scan skips bytes between frames");
          ++file;
        }
        const std::string& bytes = file->second;
        Check(offset < bytes.size(),
              "Scan reports an offset outside the segment");
        storage::DecodedFrame frame;
        Check(storage::DecodeFrame(std::string_view(bytes).substr(offset),
                                   &frame) == storage::FrameStatus::kOk,
              "Scan reports a frame that does not decode");
        Check(frame.seq == seq && frame.payload == payload,
              "Scan reports a frame other than the one at its offset");
        expected_offset = offset + frame.size;
        seen.push_back({seq, offset, std::string(payload)});
        return Status::Ok();
      });
  if (!scan.ok()) return;

  Check(scan->next_seq == seen.size(), "ScanResult::next_seq miscounts");
  const std::string& last = files.rbegin()->second;
  if (scan->tail_damaged && !scan->empty_segment_dropped) {
    Check(scan->damage_offset + scan->damage_bytes == last.size() &&
              scan->damage_offset == scan->end_offset,
          "tail damage does not run from the last frame to the file end");
  } else if (!scan->tail_damaged) {
    Check(scan->end_offset == last.size(),
          "an undamaged scan does not end at the file end");
  }
  for (const Seen& s : seen) {
    Result<std::string> payload = (*log)->Read(s.seq, s.offset);
    Check(payload.ok() && *payload == s.payload,
          "Read does not return a frame Scan reported");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  FuzzDecoders(bytes, size > 0 ? data[0] : 0);
  ByteReader in(data, size);
  FuzzScan(in);
  return 0;
}
