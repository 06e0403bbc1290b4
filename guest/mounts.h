// The guest's file systems: the early ones in the initramfs, the root image
// under an overlay, the switch into it, and the workspace share.
#pragma once

#include "cmdline.h"

namespace bbox::guest {

// /proc, /sys and /dev (devtmpfs) in the initramfs. Fatal on failure.
void mount_early();

// Mounts cfg.root read-only under an overlay with a tmpfs upper layer, moves
// /proc, /sys and /dev into it, and makes it the root. Then mounts /dev/pts,
// /dev/shm, /run and /tmp (cfg.tmp_mib). Fatal on failure.
void switch_to_image_root(const BootConfig& cfg);

// Mounts the virtio-fs share tagged "workspace" at /workspace; without one,
// logs and leaves an empty /workspace directory.
void mount_workspace();

}  // namespace bbox::guest
