#pragma once

namespace bbox {
// The bbox release, from CMake's project() version.
const char* version_string();
}  // namespace bbox
