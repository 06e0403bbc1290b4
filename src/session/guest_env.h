// The environment of the guest command: the image's Env, a default PATH, the
// variables bbox sets (BBOX_*), and the variables forwarded from the host.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bbox/image/image.h"

namespace bbox::session {

// Returns NAME=value entries. Forwarded variables override the image's, but
// never a BBOX_* variable (those are bbox's own).
std::vector<std::string> guest_environment(const image::ImageConfig& image,
                                           const std::map<std::string, std::string>& forwarded);

}  // namespace bbox::session
