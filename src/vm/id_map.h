// The user-namespace mapping virtiofsd runs under, so that the guest's
// sandbox user (uid/gid 1000) is the invoking user on the host and the
// guest's root is an unprivileged subordinate id:
//
//   inner 0..N-1 -> the user's first subordinate range (N <= 1000)
//   inner 1000   -> the invoking user's own uid / gid
//
// A normal user needs a range in /etc/subuid and /etc/subgid; newuidmap and
// newgidmap (package uidmap) write the maps. Root writes them itself, and
// without a subordinate range maps inner 0 to the overflow id 65534 so that
// the guest's root never owns files as the host's root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::vm {

inline constexpr uint32_t kGuestUserId = 1000;
inline constexpr uint32_t kOverflowId = 65534;

struct IdRange {
  uint32_t inner = 0;
  uint32_t outer = 0;
  uint32_t count = 0;
};

struct IdMapPlan {
  std::vector<IdRange> uids;
  std::vector<IdRange> gids;
  bool write_directly = false;  // root: write /proc/PID/{uid,gid}_map itself
};

// The first subordinate range of `name` (or of the numeric `id`) in a
// subuid/subgid file; count 0 when there is none.
IdRange find_subordinate_range(const std::filesystem::path& file, const std::string& name,
                               uint32_t id);

// Plans the maps for a user. Fails for a normal user without subordinate
// ranges, saying what to add.
Result<IdMapPlan> plan_id_maps(uint32_t uid, uint32_t gid, const std::string& user_name,
                               const IdRange& sub_uids, const IdRange& sub_gids);

// Plans the maps for the calling process's user from /etc/subuid and /etc/subgid.
Result<IdMapPlan> plan_id_maps_for_current_user();

// Writes the plan into the user namespace of `pid` (a child that has called
// unshare(CLONE_NEWUSER) and waits).
Status apply_id_maps(const IdMapPlan& plan, pid_t pid);

// The text of one map file ("inner outer count" lines).
std::string map_text(const std::vector<IdRange>& ranges);

}  // namespace bbox::vm
