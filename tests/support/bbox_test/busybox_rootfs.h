// Busybox root file systems made at test time from Debian's busybox-static:
// a tree for `bbox run-image dir:...`, or ext4/erofs images of such a tree
// for VMs started directly.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::test_support {

// What goes into the tree besides /bin/busybox and a link to it in /bin for
// every applet. Paths are relative to the root.
struct RootfsSpec {
  std::vector<std::string> dirs;                        // made empty
  std::map<std::string, std::string> files;             // path -> content
  std::map<std::string, std::string> symlinks;          // path -> target, as written
  std::map<std::string, std::filesystem::path> copies;  // path -> host file
  // Host programs copied to the same path, with every library ldd names
  // for them; a program that is not installed is left out.
  std::vector<std::filesystem::path> programs;
};

// /etc/passwd and /etc/group lines for root alone.
inline constexpr const char* kRootPasswd = "root:x:0:0:root:/root:/bin/sh\n";
inline constexpr const char* kRootGroup = "root:x:0:\n";

// Why busybox_rootfs cannot work here (no static /bin/busybox), or empty.
std::string busybox_unavailable_reason();

// Builds the tree at `dir` (see build_once: safe when several test processes
// ask for the same `dir` at once; a changed spec rebuilds it). Returns `dir`.
Result<std::filesystem::path> busybox_rootfs(const std::filesystem::path& dir,
                                             const RootfsSpec& spec);

// A 64 MiB ext4 image of `tree` made with mkfs.ext4 -d (no mounts, no root
// needed), mode 0644; built once like busybox_rootfs.
Result<std::filesystem::path> ext4_image(const std::filesystem::path& tree,
                                         const std::filesystem::path& image);
// An erofs image of `tree` (mkfs.erofs); built once like busybox_rootfs.
Result<std::filesystem::path> erofs_image(const std::filesystem::path& tree,
                                          const std::filesystem::path& image);

}  // namespace bbox::test_support
