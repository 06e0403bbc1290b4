// A bare microVM for testing bbox-init on its own: QEMU started directly
// (not through run_vm) with the cached kernel, a fresh initramfs, a busybox
// root image, and the control port on a unix socket the test talks to.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bbox/common/unique_fd.h"
#include "bbox/proto/protocol.h"

namespace bbox::testing {

struct CommandResult {
  std::string out;
  std::string err;
  proto::ExitStatus exit;
  bool got_exit = false;
};

struct FetchedFiles {
  std::map<std::string, std::string> entries;  // relative path -> data
  std::string error;
};

class GuestVm {
 public:
  // Everything under `dir`. Boots and waits for Hello (or fails the test).
  // With a non-empty `workspace` (root only), starts virtiofsd sharing it
  // under the tag "workspace".
  explicit GuestVm(const std::filesystem::path& dir, const std::filesystem::path& root_image,
                   const std::string& extra_cmdline = "",
                   const std::vector<std::string>& extra_qemu_args = {},
                   const std::filesystem::path& workspace = {});
  ~GuestVm();

  bool ready() const { return ready_; }
  const std::string& kernel_release() const { return release_; }

  // Runs argv on `channel`, feeding `input` (then end of input), until Exit.
  CommandResult run(uint32_t channel, const std::vector<std::string>& argv,
                    const std::string& input = "", uint32_t uid = 1000, bool tty = false);

  // Collects output on `channel` until it ends with `suffix` (or 60 s pass).
  std::string read_until(uint32_t channel, const std::string& suffix);
  // Collects output on `channel` until its Exit frame.
  CommandResult wait_for_exit(uint32_t channel);
  // Sends FileGet for `path` and collects the FileData frames until FileEnd.
  FetchedFiles get_files(uint32_t channel, const std::string& path);

  // Waits for QEMU to exit on its own; false after `seconds`.
  bool wait_exit(int seconds);
  // Closes the test's end of the control socket.
  void disconnect() { sock_.reset(); }
  void send(proto::Type type, uint32_t channel, const std::string& payload);
  std::string console() const;
  std::vector<std::string> logs;  // kLog frames seen

 private:
  void boot(const std::filesystem::path& root_image, const std::string& extra_cmdline,
            std::vector<std::string> extra_qemu_args, const std::filesystem::path& workspace);
  bool next_frame(proto::Frame* f, int timeout_ms);
  std::filesystem::path dir_;
  pid_t qemu_ = -1;
  pid_t virtiofsd_ = -1;
  UniqueFd sock_;
  proto::FrameReader reader_;
  bool ready_ = false;
  std::string release_;
};

// Builds (once) an ext4 image of a busybox-static tree in `dir`;
// empty when busybox or mkfs.ext4 is missing.
std::filesystem::path busybox_root_image(const std::filesystem::path& dir);
// The same tree as an erofs image; empty when mkfs.erofs is missing.
std::filesystem::path busybox_erofs_image(const std::filesystem::path& dir);

}  // namespace bbox::testing
