// Text the guest sends for the log (kLog frames) goes to guest.log in the
// session directory, with a size cap: the guest decides what it sends, so it
// must not be able to fill the host's disk.
#pragma once

#include <filesystem>
#include <string_view>

#include "bbox/common/unique_fd.h"

namespace bbox::vm {

class GuestLog {
 public:
  static constexpr size_t kMaxBytes = 1 << 20;

  GuestLog() = default;
  explicit GuestLog(const std::filesystem::path& path);
  // Appends a line; once kMaxBytes are written, counts what is dropped.
  void write(std::string_view text);
  size_t dropped() const { return dropped_; }

 private:
  UniqueFd fd_;
  size_t written_ = 0;
  size_t dropped_ = 0;
};

}  // namespace bbox::vm
