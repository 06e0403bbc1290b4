#include "vm/guest_file_put.h"

#include <poll.h>

#include <algorithm>

namespace bbox::vm {
namespace {

using Clock = std::chrono::steady_clock;
using proto::Type;

// Queue at most this much for the guest before waiting for it to read.
constexpr size_t kMaxQueued = 4 * kPutChunk;

class PutBatch {
 public:
  PutBatch(ControlChannel& control, ChildProcess& qemu, uint32_t channel, size_t files,
           Clock::time_point deadline, GuestLog& log)
      : control_(control),
        qemu_(qemu),
        channel_(channel),
        max_errors_(files),
        deadline_(deadline),
        log_(log) {}

  PutOutcome run(const std::vector<GuestFile>& files) {
    for (const auto& f : files) {
      if (!send_file(f)) return std::move(out_);
    }
    control_.send(Type::kFilePutEnd, channel_, {});
    while (!done_ && wait_once()) {
    }
    return std::move(out_);
  }

 private:
  bool send_file(const GuestFile& f) {
    if (f.path.size() > kMaxPutPath) {
      out_.failed.push_back({f.path, "path too long"});
      return true;
    }
    size_t offset = 0;
    do {
      while (control_.queued() > kMaxQueued) {
        if (!wait_once()) return false;
      }
      size_t n = std::min(kPutChunk, f.data.size() - offset);
      proto::FileChunk chunk{f.path, f.mode, f.data.substr(offset, n)};
      control_.send(Type::kFilePut, channel_, proto::encode(chunk));
      offset += n;
    } while (offset < f.data.size());
    return true;
  }

  // One round: send and receive what the channel allows. False once the
  // batch cannot finish (out_.error says why).
  bool wait_once() {
    take_frames();
    if (done_) return true;
    if (control_.broken() || qemu_.poll_exit()) {
      out_.error = "the VM stopped before the files were written";
      return false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) {
      out_.error = "the guest did not confirm the files in time";
      return false;
    }
    short events = static_cast<short>(POLLIN | (control_.wants_write() ? POLLOUT : 0));
    pollfd p{control_.fd(), events, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200)));
    control_.flush();
    control_.read_available();
    take_frames();
    return true;
  }

  void take_frames() {
    while (auto f = control_.next()) {
      if (f->type == Type::kLog) log_.write(f->payload);
      if (f->channel != channel_) continue;
      if (f->type == Type::kFileEnd) done_ = true;
      if (f->type != Type::kFileError) continue;
      proto::FileError e;
      // Untrusted: a malformed report or more reports than files are dropped.
      if (proto::decode(f->payload, &e) && out_.failed.size() < max_errors_) {
        out_.failed.push_back(std::move(e));
      }
    }
  }

  ControlChannel& control_;
  ChildProcess& qemu_;
  uint32_t channel_;
  size_t max_errors_;
  Clock::time_point deadline_;
  GuestLog& log_;
  bool done_ = false;
  PutOutcome out_;
};

}  // namespace

PutOutcome put_guest_files(ControlChannel& control, ChildProcess& qemu, uint32_t channel,
                           const std::vector<GuestFile>& files, Clock::time_point deadline,
                           GuestLog& log) {
  PutBatch batch(control, qemu, channel, files.size(), deadline, log);
  return batch.run(files);
}

}  // namespace bbox::vm
