// Fetching files from the guest over the control channel (kFileGet): the
// guest answers with FileData frames and one FileEnd. Everything received is
// untrusted: paths are checked, and the total size is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bbox/vm/vm.h"
#include "vm/child_process.h"
#include "vm/control_channel.h"

namespace bbox::vm {

// At most this many bytes come back over all fetches of one run.
inline constexpr size_t kMaxFetchBytes = 64u << 20;
// What one entry costs on top of its data and path (the GuestFile record,
// the allocations): entries without data are counted too.
inline constexpr size_t kFetchEntryBytes = 128;

// True for "" and for relative paths of plain components (no "", ".", "..").
bool is_safe_relative_path(const std::string& path);

// Asks for `root` on `channel` and collects the answer until FileEnd, the
// deadline, QEMU's exit or the byte budget (decremented as entries and data
// arrive: each new entry costs its path plus kFetchEntryBytes).
FetchedTree fetch_guest_tree(ControlChannel& control, ChildProcess& qemu, uint32_t channel,
                             const std::string& root,
                             std::chrono::steady_clock::time_point deadline, size_t* budget);

}  // namespace bbox::vm
