// OCI and Docker schema2 manifests, indexes and manifest lists.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::image {

// Caps on JSON documents read from registries and archives.
inline constexpr uint64_t kMaxManifestBytes = 4ull << 20;
inline constexpr uint64_t kMaxConfigBytes = 8ull << 20;

struct Descriptor {
  std::string media_type;
  std::string digest;  // always valid_digest()
  uint64_t size = 0;
};

struct Manifest {
  Descriptor config;
  std::vector<Descriptor> layers;
  // Every blob the image needs, the manifest itself excluded.
  std::vector<std::string> blob_digests() const;
};

// True when the document is an OCI index or a Docker manifest list.
bool is_index(const std::string& media_type, const std::string& body);

// Picks the linux/amd64 entry of an index (an entry without a platform counts
// when it is the only one).
Result<Descriptor> pick_platform(const std::string& body);

// Parses an image manifest; refuses foreign layers and unknown layer types.
Result<Manifest> parse_manifest(const std::string& body);

// The Accept header value for manifest requests.
const char* manifest_accept();

}  // namespace bbox::image
