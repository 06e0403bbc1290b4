// Local image sources: OCI image layouts (oci:DIR[:TAG]), their tar form
// (oci-archive:FILE) and what `docker save` writes (docker-archive:FILE).
// Each copies the image's blobs into the store, verifying every digest, and
// returns the manifest digest.
#pragma once

#include <filesystem>
#include <string>

#include "bbox/common/result.h"
#include "bbox/image/store.h"

namespace bbox::image {

Result<std::string> import_oci_layout(const Store& store, const std::filesystem::path& dir,
                                      const std::string& tag);
Result<std::string> import_oci_archive(const Store& store, const std::filesystem::path& file,
                                       const std::string& tag);
Result<std::string> import_docker_archive(const Store& store, const std::filesystem::path& file);

// Copies src into the store as blob digest, hashing on the way; refuses (and
// leaves nothing) when the content does not match. Skips blobs already there.
Status copy_blob_verified(const Store& store, const std::filesystem::path& src,
                          const std::string& digest);

// Extracts a tar of plain files and directories (an OCI layout or a docker
// save archive) into dir: no links, devices or owners, paths checked as for
// layers. Caps the total size at max_bytes.
Status extract_plain_tar(const std::filesystem::path& tar, const std::filesystem::path& dir,
                         uint64_t max_bytes);

}  // namespace bbox::image
