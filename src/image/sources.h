// Image references and the transports they name.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "bbox/common/result.h"
#include "bbox/image/image.h"
#include "bbox/image/store.h"

namespace bbox::image {

enum class Transport { kDocker, kOci, kOciArchive, kDockerArchive, kDir };

// A registry image: docker.io/library/alpine:3.19 or host:5000/a/b@sha256:...
struct RegistryRef {
  std::string registry;    // as written ("docker.io", "127.0.0.1:5000")
  std::string repository;  // "library/alpine"
  std::string tag;         // empty when only a digest is given
  std::string digest;      // "sha256:..." or empty
  // The host to talk to: docker.io is served by registry-1.docker.io.
  std::string api_host() const;
  // "registry/repository[:tag][@digest]".
  std::string name() const;
};

struct Source {
  Transport transport = Transport::kDocker;
  std::string path;      // oci, oci-archive, docker-archive, dir
  std::string tag;       // oci: the ref name to pick; empty: the only one
  RegistryRef registry;  // docker
  // The form recorded in the store: "docker://docker.io/library/alpine:latest",
  // "oci:/abs/dir:tag", "dir:/abs/path".
  std::string canonical() const;
};

// Parses a reference; a bare name is docker://. Paths are made absolute.
Result<Source> parse_source(const std::string& reference);
Result<RegistryRef> parse_registry_ref(const std::string& text);

// Returns the store's root image for digest, calling make(out) to build it
// when it is not there yet. Two processes may race here: a per-digest lock
// makes the second wait and then find the first one's image.
Result<std::filesystem::path> ensure_root_image(
    const Store& store, const std::string& digest,
    const std::function<Result<std::filesystem::path>(const std::filesystem::path&)>& make);

// Resolves a non-dir source through the store (pull or import when needed).
Result<ResolvedImage> resolve_stored(const Store& store, const Source& source, PullPolicy policy);

}  // namespace bbox::image
