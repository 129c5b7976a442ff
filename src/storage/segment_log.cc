#include "storage/segment_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "crypto/crc32c.h"

namespace actledger::storage {
namespace {

constexpr char kSegmentMagic[8] = {'A', 'L', 'S', 'E', 'G', '0', '0', '1'};
constexpr size_t kScanChunk = 4u << 20;

void PutU32(uint32_t v, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU64(uint64_t v, char* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

bool IsNoSpace(const Status& s) {
  return s.message().find(ErrnoText(ENOSPC)) != std::string::npos ||
         s.message().find(ErrnoText(EDQUOT)) != std::string::npos;
}

}  // namespace

size_t BeginFrame(std::string* out) {
  const size_t start = out->size();
  out->append(kFrameHeaderSize, '\0');
  return start;
}

std::string_view FinishFrame(uint64_t seq, size_t start, std::string* out) {
  char* header = out->data() + start;
  const size_t payload_size = out->size() - start - kFrameHeaderSize;
  PutU32(static_cast<uint32_t>(payload_size), header + 4);
  PutU64(seq, header + 8);
  uint32_t crc = crypto::Crc32c(header + 4, 12);
  crc = crypto::Crc32c(header + kFrameHeaderSize, payload_size, crc);
  PutU32(crc, header);
  return std::string_view(header + kFrameHeaderSize, payload_size);
}

void EncodeFrame(uint64_t seq, std::string_view payload, std::string* out) {
  const size_t start = BeginFrame(out);
  out->append(payload);
  FinishFrame(seq, start, out);
}

const char* FrameStatusName(FrameStatus s) {
  switch (s) {
    case FrameStatus::kOk:
      return "ok";
    case FrameStatus::kTruncated:
      return "truncated frame";
    case FrameStatus::kBadLength:
      return "invalid frame length";
    case FrameStatus::kBadCrc:
      return "frame checksum mismatch";
  }
  return "unknown";
}

bool FrameCrcOk(std::string_view frame) {
  uint32_t crc = crypto::Crc32c(frame.data() + 4, frame.size() - 4);
  return crc == GetU32(frame.data());
}

FrameStatus DecodeFrame(std::string_view bytes, DecodedFrame* out,
                        bool check_crc) {
  if (bytes.size() < kFrameHeaderSize) return FrameStatus::kTruncated;
  const uint32_t length = GetU32(bytes.data() + 4);
  if (length == 0 || length > kMaxFramePayload) return FrameStatus::kBadLength;
  if (bytes.size() - kFrameHeaderSize < length) return FrameStatus::kTruncated;
  if (check_crc && !FrameCrcOk(bytes.substr(0, kFrameHeaderSize + length))) {
    return FrameStatus::kBadCrc;
  }
  out->seq = GetU64(bytes.data() + 8);
  out->payload = bytes.substr(kFrameHeaderSize, length);
  out->size = kFrameHeaderSize + length;
  return FrameStatus::kOk;
}

bool ValidFrameFollows(std::string_view bytes, uint64_t min_seq) {
  for (size_t i = 0; i + kFrameHeaderSize <= bytes.size(); ++i) {
    const uint64_t seq = GetU64(bytes.data() + i + 8);
    if (seq < min_seq || seq - min_seq >= (1u << 20)) continue;
    DecodedFrame frame;
    if (DecodeFrame(bytes.substr(i), &frame) == FrameStatus::kOk) return true;
  }
  return false;
}

std::string EncodeSegmentHeader(uint64_t first_seq) {
  std::string h(kSegmentHeaderSize, '\0');
  std::memcpy(h.data(), kSegmentMagic, 8);
  PutU64(first_seq, h.data() + 8);
  PutU32(crypto::Crc32c(h.data(), 16), h.data() + 16);
  return h;
}

Result<uint64_t> DecodeSegmentHeader(std::string_view bytes) {
  if (bytes.size() < kSegmentHeaderSize) {
    return DataLoss("segment header truncated");
  }
  if (std::memcmp(bytes.data(), kSegmentMagic, 8) != 0) {
    return DataLoss("segment header has the wrong magic");
  }
  if (crypto::Crc32c(bytes.data(), 16) != GetU32(bytes.data() + 16) ||
      GetU32(bytes.data() + 20) != 0) {
    return DataLoss("segment header checksum mismatch");
  }
  return GetU64(bytes.data() + 8);
}

std::string SegmentFileName(uint64_t first_seq) {
  std::string digits = std::to_string(first_seq);
  return std::string(20 - digits.size(), '0') + digits + ".seg";
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::Open(const std::string& log_dir,
                                                     const Options& options,
                                                     bool writable) {
  if (writable) ACTLEDGER_RETURN_IF_ERROR(MakeDir(log_dir));
  std::unique_ptr<SegmentLog> log(new SegmentLog(log_dir, options, writable));
  DIR* d = ::opendir(log_dir.c_str());
  if (d == nullptr) return ErrnoStatus("open directory", log_dir, errno);
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() != 24 || name.substr(20) != ".seg") continue;
    if (!std::all_of(name.begin(), name.begin() + 20,
                     [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    log->segments_.push_back(std::stoull(std::string(name.substr(0, 20))));
  }
  ::closedir(d);
  std::sort(log->segments_.begin(), log->segments_.end());
  return log;
}

std::vector<uint64_t> SegmentLog::segments() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_;
}

std::string SegmentLog::SegmentPath(uint64_t first_seq) const {
  return dir_ + "/" + SegmentFileName(first_seq);
}

int SegmentLog::SegmentIndexOf(uint64_t seq) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), seq);
  if (it == segments_.begin()) return -1;
  return static_cast<int>(it - segments_.begin()) - 1;
}

Result<SegmentLog::ScanResult> SegmentLog::Scan(uint64_t seq, uint64_t offset,
                                                const FrameFn& fn) const {
  ScanResult result;
  result.next_seq = seq;
  std::vector<uint64_t> segs = segments();
  if (segs.empty()) {
    if (seq != 0) {
      return DataLoss("the log has no segments, but " + std::to_string(seq) +
                      " records were expected");
    }
    return result;
  }
  int start = SegmentIndexOf(seq > 0 ? seq - 1 : 0);
  if (start < 0) start = 0;
  for (size_t i = static_cast<size_t>(start); i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    const std::string path = SegmentPath(segs[i]);
    ACTLEDGER_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDONLY));
    ACTLEDGER_ASSIGN_OR_RETURN(uint64_t file_size, f.Size());
    std::string header;
    ACTLEDGER_RETURN_IF_ERROR(f.ReadUpTo(0, kSegmentHeaderSize, &header));
    Result<uint64_t> first = DecodeSegmentHeader(header);
    if (!first.ok() || *first != segs[i]) {
      std::string why = first.ok() ? "segment header names first seq " +
                                         std::to_string(*first)
                                   : first.status().message();
      if (last && file_size <= kSegmentHeaderSize) {
        // A segment created by a crashed writer before its header was
        // durable holds no record: dropping it loses nothing.
        result.tail_damaged = true;
        result.empty_segment_dropped = true;
        result.damage_offset = 0;
        result.damage_bytes = file_size;
        result.damage_reason = why;
        return result;
      }
      return DataLoss(path + ": " + why);
    }
    if (i > static_cast<size_t>(start) || offset < kSegmentHeaderSize) {
      offset = kSegmentHeaderSize;
      if (segs[i] != result.next_seq) {
        return DataLoss(path + ": segment starts at seq " +
                        std::to_string(segs[i]) + " but seq " +
                        std::to_string(result.next_seq) +
                        " comes next (records missing or duplicated)");
      }
    }
    std::string buf;
    size_t buf_start = 0;  // file offset of buf[0]
    uint64_t pos = offset;
    result.end_offset = offset;
    while (pos < file_size) {
      // Ensure buf holds the bytes at pos (at least one header's worth).
      if (pos - buf_start + kFrameHeaderSize > buf.size() || pos < buf_start) {
        buf_start = pos;
        ACTLEDGER_RETURN_IF_ERROR(f.ReadUpTo(pos, kScanChunk, &buf));
      }
      std::string_view view(buf);
      view.remove_prefix(pos - buf_start);
      DecodedFrame frame;
      FrameStatus st = DecodeFrame(view, &frame);
      if (st == FrameStatus::kTruncated && view.size() >= kFrameHeaderSize &&
          buf_start + buf.size() < file_size) {
        // The frame continues past the buffer: read it whole.
        uint32_t length = GetU32(view.data() + 4);
        buf_start = pos;
        ACTLEDGER_RETURN_IF_ERROR(
            f.ReadUpTo(pos, kFrameHeaderSize + length, &buf));
        view = buf;
        st = DecodeFrame(view, &frame);
      }
      if (st != FrameStatus::kOk) {
        std::string why = FrameStatusName(st);
        if (!last) {
          return DataLoss(path + " offset " + std::to_string(pos) + ": " + why +
                          " at seq " + std::to_string(result.next_seq) +
                          " in a sealed segment");
        }
        std::string rest;
        ACTLEDGER_RETURN_IF_ERROR(f.ReadUpTo(pos + 1, file_size - pos, &rest));
        if (ValidFrameFollows(rest, result.next_seq)) {
          return DataLoss(path + " offset " + std::to_string(pos) + ": " + why +
                          " at seq " + std::to_string(result.next_seq) +
                          ", and valid records follow it: damage, not a torn "
                          "write (nothing is cut)");
        }
        result.tail_damaged = true;
        result.damage_offset = pos;
        result.damage_bytes = file_size - pos;
        result.damage_reason = why;
        return result;
      }
      if (frame.seq != result.next_seq) {
        return DataLoss(path + " offset " + std::to_string(pos) +
                        ": expected seq " + std::to_string(result.next_seq) +
                        ", found seq " + std::to_string(frame.seq) +
                        " (record deleted, duplicated or reordered)");
      }
      if (fn) ACTLEDGER_RETURN_IF_ERROR(fn(frame.seq, pos, frame.payload));
      pos += frame.size;
      result.end_offset = pos;
      ++result.next_seq;
    }
  }
  return result;
}

Status SegmentLog::Recover(const ScanResult& scan) {
  if (!writable_) return FailedPrecondition("log opened read-only");
  std::vector<uint64_t> segs = segments();
  if (scan.tail_damaged) {
    const std::string path = SegmentPath(segs.back());
    if (scan.empty_segment_dropped) {
      if (::unlink(path.c_str()) != 0) {
        return ErrnoStatus("remove", path, errno);
      }
      ACTLEDGER_RETURN_IF_ERROR(SyncDir(dir_));
      std::lock_guard<std::mutex> lock(mu_);
      segments_.pop_back();
    } else {
      ACTLEDGER_ASSIGN_OR_RETURN(File f, File::Open(path, O_WRONLY));
      ACTLEDGER_RETURN_IF_ERROR(f.Truncate(scan.damage_offset));
      ACTLEDGER_RETURN_IF_ERROR(f.Sync());
    }
    segs = segments();
  }
  next_seq_ = scan.next_seq;
  active_.Close();
  if (segs.empty()) return Status::Ok();
  ACTLEDGER_ASSIGN_OR_RETURN(
      active_, File::Open(SegmentPath(segs.back()), O_WRONLY | O_APPEND));
  ACTLEDGER_ASSIGN_OR_RETURN(active_size_, active_.Size());
  active_frames_ = next_seq_ - segs.back();
  return Status::Ok();
}

Status SegmentLog::StartSegment(uint64_t first_seq) {
  const std::string path = SegmentPath(first_seq);
  ACTLEDGER_ASSIGN_OR_RETURN(
      File f, File::Open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND));
  Status st = f.Append(EncodeSegmentHeader(first_seq));
  if (st.ok()) st = f.Sync();
  if (st.ok()) st = SyncDir(dir_);
  if (!st.ok()) {
    ::unlink(path.c_str());
    return st;
  }
  active_ = std::move(f);
  active_size_ = kSegmentHeaderSize;
  active_frames_ = 0;
  std::lock_guard<std::mutex> lock(mu_);
  segments_.push_back(first_seq);
  return Status::Ok();
}

Status SegmentLog::Append(uint64_t first_seq, std::string_view frames,
                          const std::vector<size_t>& starts,
                          std::vector<uint64_t>* offsets) {
  if (!writable_) return FailedPrecondition("log opened read-only");
  if (first_seq != next_seq_) {
    return Internal("append at seq " + std::to_string(first_seq) +
                    ", expected " + std::to_string(next_seq_));
  }
  // The frames must lie back to back from the start of the buffer, with
  // consecutive sequence numbers from first_seq.
  if ((starts.empty() ? frames.size() : starts[0]) != 0) {
    return Internal("the appended frames do not start the buffer");
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t end = i + 1 < starts.size() ? starts[i + 1] : frames.size();
    if (end < starts[i] + kFrameHeaderSize ||
        GetU64(frames.data() + starts[i] + 8) != first_seq + i) {
      return Internal("frame " + std::to_string(i) +
                      " of the append is not seq " +
                      std::to_string(first_seq + i));
    }
  }
  // What to restore on failure: the active segment's size at the start, and
  // the segments this call creates.
  const bool had_active = active_.is_open();
  const std::string start_path = had_active ? active_.path() : std::string();
  const uint64_t start_size = active_size_;
  const uint64_t start_frames = active_frames_;
  std::vector<std::string> created;

  // Frames are written straight from `frames`, one write per segment they
  // fall in; `written` is where the bytes not yet written start.
  size_t written = 0;
  bool sync_failed = false;
  auto write_and_sync = [&](size_t end) -> Status {
    if (end == written) return Status::Ok();
    ACTLEDGER_RETURN_IF_ERROR(
        active_.Append(frames.substr(written, end - written)));
    Status synced = active_.Sync();
    if (!synced.ok()) {
      sync_failed = true;
      return synced;
    }
    active_size_ += end - written;
    written = end;
    return Status::Ok();
  };

  Status st;
  offsets->clear();
  offsets->reserve(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t begin = starts[i];
    const size_t end = i + 1 < starts.size() ? starts[i + 1] : frames.size();
    const bool full =
        active_.is_open() && active_frames_ > 0 &&
        active_size_ + (end - written) > options_.max_segment_bytes;
    if (!active_.is_open() || full) {
      st = write_and_sync(begin);
      if (!st.ok()) break;
      st = StartSegment(first_seq + i);
      if (!st.ok()) break;
      created.push_back(active_.path());
    }
    offsets->push_back(active_size_ + (begin - written));
    ++active_frames_;
  }
  if (st.ok()) st = write_and_sync(frames.size());
  if (st.ok()) {
    next_seq_ = first_seq + starts.size();
    return Status::Ok();
  }

  // Undo: remove what this call created, cut the starting segment back.
  offsets->clear();
  active_.Close();
  for (const std::string& path : created) ::unlink(path.c_str());
  {
    std::lock_guard<std::mutex> lock(mu_);
    segments_.resize(segments_.size() - created.size());
  }
  Status undo = created.empty() ? Status::Ok() : SyncDir(dir_);
  if (had_active) {
    Result<File> f = File::Open(start_path, O_WRONLY | O_APPEND);
    if (f.ok()) {
      undo = f->Truncate(start_size);
      active_ = std::move(f).value();
    } else {
      undo = f.status();
    }
  }
  active_size_ = start_size;
  active_frames_ = start_frames;
  if (!undo.ok()) {
    return IoError(st.message() + "; undoing the partial append also failed (" +
                   undo.message() + "): reopen the ledger to recover");
  }
  if (sync_failed && !IsNoSpace(st)) {
    // After a failed fdatasync the page cache cannot be trusted (the
    // kernel may have dropped the dirty pages): recover by reopening.
    active_.Close();
    return IoError(st.message() + ": reopen the ledger to recover");
  }
  return st;
}

std::string SegmentLog::RewritePath(uint64_t first_seq) const {
  return SegmentPath(first_seq) + ".rewrite";
}

Status SegmentLog::ReplaceSegment(uint64_t first_seq,
                                  std::string_view contents) {
  if (!writable_) return FailedPrecondition("log opened read-only");
  std::vector<uint64_t> segs = segments();
  if (!std::binary_search(segs.begin(), segs.end(), first_seq)) {
    return NotFound("no segment starts at seq " + std::to_string(first_seq));
  }
  const std::string path = SegmentPath(first_seq);
  const std::string tmp = RewritePath(first_seq);
  {
    ACTLEDGER_ASSIGN_OR_RETURN(
        File f, File::Open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    Status st = f.Append(contents);
    if (st.ok()) st = f.Sync();
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("rename", tmp, err);
  }
  ACTLEDGER_RETURN_IF_ERROR(SyncDir(dir_));
  if (first_seq == segs.back() && active_.is_open()) {
    // The writer's descriptor still points at the replaced file.
    active_.Close();
    ACTLEDGER_ASSIGN_OR_RETURN(active_, File::Open(path, O_WRONLY | O_APPEND));
    active_size_ = contents.size();
  }
  return Status::Ok();
}

Result<std::string> SegmentLog::Read(uint64_t seq, uint64_t offset) const {
  int idx = SegmentIndexOf(seq);
  if (idx < 0) return NotFound("no segment holds seq " + std::to_string(seq));
  const std::string path = SegmentPath(segments()[idx]);
  ACTLEDGER_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDONLY));
  std::string buf;
  ACTLEDGER_RETURN_IF_ERROR(f.ReadUpTo(offset, 8192, &buf));
  if (buf.size() >= kFrameHeaderSize) {
    uint32_t length = GetU32(buf.data() + 4);
    if (length <= kMaxFramePayload && buf.size() < kFrameHeaderSize + length) {
      ACTLEDGER_RETURN_IF_ERROR(
          f.ReadUpTo(offset, kFrameHeaderSize + length, &buf));
    }
  }
  DecodedFrame frame;
  FrameStatus st = DecodeFrame(buf, &frame);
  if (st != FrameStatus::kOk) {
    return DataLoss(path + " offset " + std::to_string(offset) + ": " +
                    FrameStatusName(st) + " reading seq " +
                    std::to_string(seq));
  }
  if (frame.seq != seq) {
    return DataLoss(path + " offset " + std::to_string(offset) +
                    ": frame holds seq " + std::to_string(frame.seq) +
                    ", expected " + std::to_string(seq));
  }
  return std::string(frame.payload);
}

}  // namespace actledger::storage
