#include "bbox/common/result.h"

#include <cstring>

namespace bbox {

Error errno_error(const std::string& what, int err) {
  return Error{what + ": " + std::strerror(err)};
}

}  // namespace bbox
