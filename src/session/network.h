// The session's network: the egress-filtering switch the guest's virtio-net
// device is connected to.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "bbox/common/result.h"
#include "bbox/session/session.h"
#include "bbox/vm/vm.h"

namespace bbox::session {

class SessionNetwork {
 public:
  virtual ~SessionNetwork() = default;
  // What the VM needs to connect to the switch; nullopt: the VM has no network.
  virtual std::optional<vm::GuestNetwork> guest_network() const = 0;
  // One line naming what the filter blocked, or empty.
  virtual std::string blocked_summary() const = 0;
};

Result<std::unique_ptr<SessionNetwork>> start_network(const SessionRequest& req,
                                                      const std::filesystem::path& session_dir);

}  // namespace bbox::session
