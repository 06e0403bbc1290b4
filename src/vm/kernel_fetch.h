// The host-side steps behind ensure_kernel: asking apt which cloud kernel is
// current, downloading its package, and unpacking the parts bbox needs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::vm {

// Runs argv (searched in PATH) in `cwd`, returning its stdout. With
// `stdout_to_stderr`, the child's stdout goes to our stderr instead (progress
// output) and the result is empty. A missing program is an Error whose message
// names it; a non-zero exit is an Error quoting the last line of its stderr.
Result<std::string> run_program(const std::vector<std::string>& argv,
                                const std::filesystem::path& cwd, bool stdout_to_stderr);

// The version of the current Debian cloud kernel, e.g. "6.1.0-28-cloud-amd64",
// from `apt-cache depends linux-image-cloud-amd64`.
Result<std::string> resolve_cloud_kernel_version();

// Parses `apt-cache depends` output for the linux-image-<version> it depends on.
Result<std::string> parse_kernel_depends(const std::string& apt_output);

// Downloads linux-image-<version> into `work` with apt-get (progress on
// stderr), unpacks it, and fills `out` with vmlinuz, modules/<name>.ko for the
// wanted modules and their dependencies, and modules.load (their load order,
// one file name a line).
Status fetch_kernel(const std::string& version, const std::filesystem::path& work,
                    const std::filesystem::path& out);

// The release string in a bzImage's setup header ("6.1.0-28-cloud-amd64"), or
// an Error when the file is no bzImage.
Result<std::string> bzimage_release(const std::filesystem::path& vmlinuz);

}  // namespace bbox::vm
