// Network namespaces and a TAP "guest" for tests that need real TCP/IP
// stacks on both sides of the switch without booting a VM. Root only; the
// tests skip otherwise. Nothing here touches the host's own namespace.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "bbox/common/unique_fd.h"

namespace bbox::net::test {

// `ip netns add NAME` now, `ip netns del NAME` when it goes away.
class Netns {
 public:
  static std::unique_ptr<Netns> create(const std::string& name);
  ~Netns();
  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  // Runs `ip ARGS` inside the namespace; false when it fails.
  bool ip(const std::string& args) const;

 private:
  explicit Netns(std::string name) : name_(std::move(name)) {}
  std::string name_;
  UniqueFd fd_;
};

// Why namespace tests cannot run here, or "" when they can.
std::string netns_unavailable_reason();

// A TAP device in `guest` configured as the VM's eth0 would be (10.0.2.15/24,
// default route via 10.0.2.2, the given MTU), with a thread pumping its frames to and from
// the switch socket in QEMU's stream format.
class TapGuest {
 public:
  static std::unique_ptr<TapGuest> create(const Netns& guest,
                                          const std::filesystem::path& switch_socket,
                                          int mtu = 1500);
  ~TapGuest();

 private:
  TapGuest() = default;
  void pump();
  UniqueFd tap_, sock_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace bbox::net::test
