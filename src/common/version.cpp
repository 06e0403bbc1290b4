#include "bbox/common/version.h"

namespace bbox {
const char* version_string() { return BBOX_VERSION; }
}  // namespace bbox
