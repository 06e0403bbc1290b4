// Kernel module metadata, read from the .ko files themselves (no kmod needed):
// the `depends=` and `softdep=` entries of an ELF module's .modinfo section,
// and a load order that puts every module after the modules it needs.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::vm {

// The modules bbox-init loads, by name. Their dependencies are found from the
// modules' own metadata and loaded first.
//   virtio_mmio: the microvm machine's virtio transport
//   virtio_blk: the root image; virtio_net: the network; virtio_console: the
//   control port; virtiofs: the workspace; overlay: the writable root;
//   erofs: root images in erofs.
inline const std::vector<std::string> kWantedModules = {
    "virtio_mmio", "virtio_blk", "virtio_net", "virtio_console", "virtiofs", "overlay", "erofs",
};

// A module's name as the kernel sees it: the file's stem with '-' as '_'.
std::string module_name(const std::filesystem::path& ko);

// What a module needs loaded before it: `hard` from its `depends=` entry,
// `soft` from `softdep=pre:`. Soft dependencies may name built-in code or
// aliases (libcrc32c's "crc32c"), so they are skipped when no file has them.
struct ModuleDeps {
  std::vector<std::string> hard;
  std::vector<std::string> soft;
};

// Reads the dependencies from the .modinfo section of an ELF64 module.
Result<ModuleDeps> module_dependencies(const std::filesystem::path& ko);

// Parses the NUL-separated key=value strings of a .modinfo section.
ModuleDeps dependencies_from_modinfo(std::string_view modinfo);

// Maps module name -> .ko path for every module under `dir`, recursively.
Result<std::map<std::string, std::filesystem::path>> index_modules(
    const std::filesystem::path& dir);

// Orders `wanted` and everything they need so that each module comes after
// those it depends on, keeping `wanted`'s order otherwise. `deps` holds every
// available module. A missing wanted module or hard dependency is an error, a
// missing soft dependency is skipped (built in), and a cycle is an error.
Result<std::vector<std::string>> load_order(const std::vector<std::string>& wanted,
                                            const std::map<std::string, ModuleDeps>& deps);

}  // namespace bbox::vm
