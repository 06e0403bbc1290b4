#include "session/network.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bbox/common/message.h"
#include "bbox/net/switch.h"

namespace bbox::session {
namespace {

class SwitchedNetwork : public SessionNetwork {
 public:
  explicit SwitchedNetwork(std::unique_ptr<net::NetworkSwitch> sw) : switch_(std::move(sw)) {}

  std::optional<vm::GuestNetwork> guest_network() const override {
    return vm::GuestNetwork{switch_->socket_path(), net::kGuestIpCidr, net::kGuestGateway,
                            net::kGuestDns};
  }
  std::string blocked_summary() const override { return switch_->blocked_summary(); }

 private:
  std::unique_ptr<net::NetworkSwitch> switch_;
};

net::Profile to_net(EgressProfile p) {
  switch (p) {
    case EgressProfile::kPermissive: return net::Profile::kPermissive;
    case EgressProfile::kLocked: return net::Profile::kLocked;
    case EgressProfile::kStandard: break;
  }
  return net::Profile::kStandard;
}

Result<net::EgressPolicy> make_policy(const SessionRequest& req) {
  net::EgressPolicy policy;
  policy.profile = to_net(req.egress);
  policy.host_ports = req.allow_host_ports;
  for (const AllowedHost& h : req.allow_hosts) {
    std::string text = h.port == 0 ? h.host : fmt::format("{}:{}", h.host, h.port);
    auto rule = net::parse_host_rule(text);
    if (!rule) return rule.error().wrap("allow host " + ui::quoted(text));
    (h.user_listed ? policy.user_hosts : policy.profile_hosts).push_back(*rule);
  }
  return policy;
}

}  // namespace

Result<std::unique_ptr<SessionNetwork>> start_network(const SessionRequest& req,
                                                      const std::filesystem::path& session_dir) {
  auto policy = make_policy(req);
  if (!policy) return policy.error();
  if (req.egress == EgressProfile::kPermissive && !policy->user_hosts.empty()) {
    ui::note("--allow-host has no effect with the permissive egress profile: "
             "every public destination is already allowed");
  }
  auto audit = [](std::string_view line) { spdlog::info("net: {}", line); };
  auto sw = net::NetworkSwitch::start(session_dir / "net.sock", std::move(*policy), audit);
  if (!sw) return sw.error().wrap("start the VM network");
  return std::unique_ptr<SessionNetwork>(new SwitchedNetwork(std::move(*sw)));
}

}  // namespace bbox::session
