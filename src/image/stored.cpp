// Non-dir sources: registry pulls and local OCI/Docker archives.
#include "image/sources.h"

namespace bbox::image {

Result<ResolvedImage> resolve_stored(const Store&, const Source& source, PullPolicy) {
  return Error{"resolve image " + source.canonical() + ": this transport is not yet available"};
}

}  // namespace bbox::image
