#include "session/network.h"

#include "bbox/common/message.h"

namespace bbox::session {
namespace {

// Until the egress-filtering switch is wired in, the guest gets no network
// device at all: strictly tighter than any egress profile.
class NoNetwork : public SessionNetwork {
 public:
  std::optional<vm::GuestNetwork> guest_network() const override { return std::nullopt; }
  std::string blocked_summary() const override { return {}; }
};

}  // namespace

Result<std::unique_ptr<SessionNetwork>> start_network(const SessionRequest& req,
                                                      const std::filesystem::path&) {
  if (!req.allow_host_ports.empty() || !req.allow_hosts.empty()) {
    ui::warning("the VM network is not yet available in this build: the guest has no network");
  }
  return std::unique_ptr<SessionNetwork>(new NoNetwork());
}

}  // namespace bbox::session
