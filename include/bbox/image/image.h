// Images: where a session's root file system comes from.
//
// An image reference names a transport the way skopeo and podman users know:
//   docker://REF (the default when no transport is given), oci:DIR[:TAG],
//   oci-archive:FILE, docker-archive:FILE, dir:PATH.
// resolve_image() brings the image into the local store when needed and
// returns a read-only ext4 root image for the VM's root disk, built once per
// digest and shared by every session. Safe when several bbox processes
// resolve the same image at once: builds happen under a lock file into a
// temporary file that is renamed into place, so a root image that exists is
// always complete.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::image {

enum class PullPolicy { kAlways, kIfNotPresent, kNever };

// The parts of an OCI image config that a session honours.
struct ImageConfig {
  std::vector<std::string> env;         // "NAME=value" entries, in the image's order
  std::vector<std::string> entrypoint;  // run before cmd when the session has no command
  std::vector<std::string> cmd;
  std::string working_dir;  // empty: the guest's default
  std::string user;         // "name", "uid" or "uid:gid"; empty: root
  std::map<std::string, std::string> labels;
};

struct ResolvedImage {
  std::string reference;  // as the user wrote it
  std::string digest;     // "sha256:<hex>": the manifest digest, or the tree hash for dir:
  // Read-only ext4 file for the VM's root disk. Owned by the store: callers must
  // not modify it; open it read-only (QEMU: readonly=on).
  std::filesystem::path root_image;
  ImageConfig config;
};

// Resolves an image reference to its root image, pulling or importing it into
// the store when the policy allows. kNever fails when the image is not stored;
// kIfNotPresent uses the stored image without any network access.
Result<ResolvedImage> resolve_image(const std::string& reference, PullPolicy policy);

// Builds an ext4 root image at out_image from a root file system directory
// (mkfs.ext4 -d, sized from the tree plus headroom). Owners are recorded as
// the tree's files carry them; when bbox runs as a normal user the build runs
// inside a user namespace that maps the user to 0 and its subordinate ids
// (/etc/subuid) to 1..N, so a tree unpacked in that namespace keeps the
// owners its layers said. Writes a temporary file beside out_image and renames
// it into place, so out_image is either absent or complete.
Result<std::filesystem::path> build_root_image(const std::filesystem::path& rootfs_dir,
                                               const std::filesystem::path& out_image);

// Registries (host[:port], as written in references) that may be spoken to
// over plain HTTP besides localhost, 127.0.0.1 and [::1]. From configuration.
void set_plain_http_registries(std::vector<std::string> registries);

// The form the store records a reference under ("alpine" becomes
// "docker://docker.io/library/alpine:latest", paths become absolute).
Result<std::string> canonical_reference(const std::string& reference);

// Parses "always", "if-not-present" (or "missing"), "never".
Result<PullPolicy> parse_pull_policy(const std::string& text);

}  // namespace bbox::image
