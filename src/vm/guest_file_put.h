// Writing files into the guest before the command starts (VmSpec::
// files_before_exec): kFilePut frames on one channel, then kFilePutEnd; the
// guest answers kFileError per file it refused or could not write, then
// kFileEnd. The guest enforces where files may go (guest/file_put.h); the
// host only reports what it was told.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bbox/proto/protocol.h"
#include "bbox/vm/vm.h"
#include "vm/child_process.h"
#include "vm/control_channel.h"
#include "vm/guest_log.h"

namespace bbox::vm {

// Data per kFilePut frame: with the path and the header well under kMaxPayload.
inline constexpr size_t kPutChunk = 512 * 1024;
// Longer paths are not sent (the guest's PATH_MAX is 4096).
inline constexpr size_t kMaxPutPath = 4096;

struct PutOutcome {
  // Files not written, as the guest reported them (untrusted text), at most
  // one per file sent.
  std::vector<proto::FileError> failed;
  // Set when the batch did not finish: the guest went away or did not
  // answer by the deadline. Which files landed is then unknown.
  std::string error;
};

// Sends `files` on `channel` and waits for the guest's kFileEnd, at most
// until `deadline`. kLog frames meanwhile go to `log`. The outgoing queue is
// kept to a few chunks, so large files do not pile up in memory twice.
PutOutcome put_guest_files(ControlChannel& control, ChildProcess& qemu, uint32_t channel,
                           const std::vector<GuestFile>& files,
                           std::chrono::steady_clock::time_point deadline, GuestLog& log);

}  // namespace bbox::vm
