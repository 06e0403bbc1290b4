// The guest kernel and its modules, fetched once from Debian's cloud kernel
// package into paths::cache_dir()/kernel/<version>/.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::vm {

struct Kernel {
  std::filesystem::path vmlinuz;
  // The modules bbox-init loads, in load order (dependencies first):
  // virtio_ring, virtio, virtio_mmio, virtio_blk, failover, net_failover,
  // virtio_net, virtio_console, fuse, virtiofs, overlay, crc32c..., erofs.
  std::vector<std::filesystem::path> modules;
  std::string version;  // e.g. "6.1.0-28-cloud-amd64"
};

// Returns the cached kernel, downloading and extracting it first when needed
// (progress on stderr). Which release is current comes from
// `apt-cache depends linux-image-cloud-amd64` at most once a day: the answer is
// recorded in paths::cache_dir()/kernel/current and, while under 24 hours old
// and its kernel still cached, used without running apt. When apt cannot be
// asked, the newest cached kernel is used. With `override_vmlinuz`, uses that
// kernel image and the modules of the cached Debian kernel only if versions
// match; otherwise the override must be a kernel with the virtio drivers built
// in.
Result<Kernel> ensure_kernel(const std::optional<std::filesystem::path>& override_vmlinuz);

}  // namespace bbox::vm
