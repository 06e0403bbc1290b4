// The OCI image config's "config" section and the parts bbox honours.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "bbox/common/result.h"
#include "bbox/image/image.h"

namespace bbox::image {

// Parses an image config blob (application/vnd.oci.image.config.v1+json or
// Docker's container config): reads its "config" object. Wrong types are errors.
Result<ImageConfig> parse_image_config_blob(const std::string& blob);
// The same fields from a bare "config" object (also the catalog's form).
Result<ImageConfig> config_from_json(const nlohmann::json& section);
nlohmann::json config_to_json(const ImageConfig& config);

}  // namespace bbox::image
