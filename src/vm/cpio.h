// A writer for cpio "newc" archives (the format the Linux kernel unpacks as
// an initramfs), building the archive in memory. Entries carry uid/gid 0 and
// mtime 0, so the same inputs always give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bbox::vm {

class CpioWriter {
 public:
  // `path` is relative ("init", "lib/modules"), without a leading slash.
  void add_directory(std::string_view path, uint32_t perms = 0755);
  void add_file(std::string_view path, std::string_view data, uint32_t perms = 0644);
  void add_char_device(std::string_view path, uint32_t major, uint32_t minor,
                       uint32_t perms = 0600);
  // Appends the TRAILER!!! entry and returns the archive.
  std::string finish() &&;

 private:
  void add(std::string_view path, uint32_t mode, std::string_view data, uint32_t rmajor,
           uint32_t rminor);
  std::string out_;
  uint32_t next_ino_ = 1;
};

}  // namespace bbox::vm
