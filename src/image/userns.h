// Acting as root over an image's files when bbox runs as a normal user.
//
// Image layers say which uid and gid own each file (mostly 0). A normal user
// cannot create files owned by 0, so image work (unpacking, building the root
// image, deleting unpacked trees) runs in a child process inside a new user
// namespace that maps, like rootless podman:
//   inner 0      -> the user's own uid/gid
//   inner 1..N   -> the user's subordinate range from /etc/subuid, /etc/subgid
// Files the namespace's root creates belong to the user on the host; files
// given other owners land as subordinate ids, and read back inside the
// namespace with the owners the layers said.
#pragma once

#include <sys/types.h>

#include <functional>

#include "bbox/common/result.h"

namespace bbox::image {

struct IdRange {
  unsigned long start = 0;
  unsigned long count = 0;
};

// The subordinate range for a user from a file shaped like /etc/subuid
// ("name:start:count" or "uid:start:count" lines). Errors when none.
Result<IdRange> find_subordinate_range(const std::string& file, const std::string& user, uid_t uid);

// Runs fn with root's powers over image files: directly when bbox is root,
// otherwise in a forked child inside a mapped user namespace (above). fn runs
// in the child's copy of the process: it must not rely on state it changes
// being seen by the caller; it reports back only through its Status.
Status run_as_image_root(const std::function<Status()>& fn);

// True when run_as_image_root would use a user namespace.
bool needs_user_namespace();

}  // namespace bbox::image
