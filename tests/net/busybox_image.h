// A small ext4 root image for network VMs: busybox-static with a sandbox
// user (uid 1000), plus any extra files. Built with mkfs.ext4 -d, no mounts.
#pragma once

#include <filesystem>
#include <map>

namespace bbox::net::test {

// Builds `dir`/root.ext4; empty when busybox or mkfs.ext4 is missing.
// `extra` maps host files to absolute paths in the image.
std::filesystem::path busybox_image(
    const std::filesystem::path& dir,
    const std::map<std::filesystem::path, std::filesystem::path>& extra = {});

}  // namespace bbox::net::test
