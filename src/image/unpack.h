// From stored blobs to a root image.
#pragma once

#include <filesystem>

#include "bbox/common/result.h"
#include "bbox/image/store.h"
#include "image/manifest.h"

namespace bbox::image {

// Unpacks the manifest's layers (all in the store already) into a temporary
// tree under the store's tmp/, builds the root image at out from it, and
// removes the tree. Runs with root's powers over image ids (userns.h), so
// owners and modes are the layers' own even for a normal user.
Status unpack_and_build(const Store& store, const Manifest& manifest,
                        const std::filesystem::path& out);

}  // namespace bbox::image
