// The initramfs: bbox-init as /init plus the kernel modules, written as a
// cpio "newc" archive by our own code, cached by content hash.
#pragma once

#include <filesystem>

#include "bbox/common/result.h"
#include "bbox/vm/kernel.h"

namespace bbox::vm {

// Path of the bbox-init binary to embed: $BBOX_INIT if set, else the
// bbox-init installed beside the running bbox executable.
Result<std::filesystem::path> find_bbox_init();

// Returns paths::cache_dir()/initramfs/<sha256>.cpio, building it if absent.
Result<std::filesystem::path> ensure_initramfs(const Kernel& kernel,
                                               const std::filesystem::path& bbox_init);

}  // namespace bbox::vm
