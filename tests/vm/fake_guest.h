// The pieces of a session that the host-side unit tests fake: a control
// channel whose other end (a socketpair) the test plays as the guest, and a
// stand-in for QEMU that the code under test can watch and kill.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>

#include "bbox/common/unique_fd.h"
#include "vm/child_process.h"
#include "vm/control_channel.h"

namespace bbox::vm::testing {

// The host's channel in `host`, the guest's end of the socketpair in `guest`.
// Call under ASSERT_NO_FATAL_FAILURE.
inline void connect_fake_guest(std::unique_ptr<ControlChannel>* host, UniqueFd* guest) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  *host = std::make_unique<ControlChannel>(UniqueFd(sv[0]));
  guest->reset(sv[1]);
}

// The same with a ControlChannel on the guest's end too.
inline void connect_fake_guest(std::unique_ptr<ControlChannel>* host,
                               std::unique_ptr<ControlChannel>* guest) {
  UniqueFd end;
  ASSERT_NO_FATAL_FAILURE(connect_fake_guest(host, &end));
  *guest = std::make_unique<ControlChannel>(std::move(end));
}

// `sleep 60` in place of QEMU. Call under ASSERT_NO_FATAL_FAILURE.
inline void spawn_fake_qemu(ChildProcess* qemu) {
  SpawnOptions o;
  o.program = "/bin/sleep";
  o.argv = {"sleep", "60"};
  auto q = ChildProcess::spawn(o);
  ASSERT_TRUE(q.ok());
  *qemu = std::move(*q);
}

}  // namespace bbox::vm::testing
