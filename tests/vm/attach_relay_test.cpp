// The attach relay between an attach client and a fake guest.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_guest.h"
#include "vm/attach_relay.h"
#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

using proto::Type;

class Relay : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::connect_fake_guest(&to_guest_, &guest_));
    socket_ = ::testing::TempDir() + "relay-" + std::to_string(::getpid()) + ".sock";
    auto r = AttachRelay::listen(socket_, *to_guest_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    relay_ = std::move(*r);
  }

  // One round of the session's loop: the relay's descriptors, then whatever
  // the guest sent, routed back.
  void pump() {
    for (int i = 0; i < 5; ++i) {
      std::vector<pollfd> fds;
      relay_->add_poll_fds(fds);
      ::poll(fds.data(), fds.size(), 20);
      relay_->handle(fds, 0);
      to_guest_->read_available();
      while (auto f = to_guest_->next()) relay_->route_from_guest(*f);
    }
  }

  // The next frame from `c`, pumping the relay meanwhile.
  std::optional<proto::Frame> next_from(ControlChannel& c) {
    for (int i = 0; i < 50; ++i) {
      pump();
      c.read_available();
      if (auto f = c.next()) return f;
    }
    return std::nullopt;
  }

  std::unique_ptr<ControlChannel> to_guest_;
  std::unique_ptr<ControlChannel> guest_;
  std::string socket_;
  std::unique_ptr<AttachRelay> relay_;
};

TEST_F(Relay, ClientChannelOneMapsToAGuestChannelOfItsOwnAndBack) {
  auto fd = connect_unix(socket_);
  ASSERT_TRUE(fd.ok());
  ControlChannel client(std::move(*fd));
  client.send(Type::kStdin, 1, "before exec is dropped");
  client.send(Type::kExec, 1, "exec-payload");
  client.send(Type::kStdin, 1, "typed");

  auto exec = next_from(*guest_);
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->type, Type::kExec);
  EXPECT_EQ(exec->channel, AttachRelay::kFirstChannel);
  EXPECT_EQ(exec->payload, "exec-payload");
  auto in = next_from(*guest_);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->type, Type::kStdin);
  EXPECT_EQ(in->channel, AttachRelay::kFirstChannel);
  EXPECT_EQ(in->payload, "typed");

  guest_->send(Type::kStdout, AttachRelay::kFirstChannel, "hello");
  guest_->send(Type::kStdout, 1, "the session's own output");
  auto out = next_from(client);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->type, Type::kStdout);
  EXPECT_EQ(out->channel, 1u);
  EXPECT_EQ(out->payload, "hello");
  EXPECT_EQ(relay_->clients(), 1u);
}

TEST_F(Relay, AClientThatGoesAwayHangsUpItsCommand) {
  {
    auto fd = connect_unix(socket_);
    ASSERT_TRUE(fd.ok());
    ControlChannel client(std::move(*fd));
    client.send(Type::kExec, 1, "x");
    auto exec = next_from(*guest_);
    ASSERT_TRUE(exec);
  }
  auto hup = next_from(*guest_);
  ASSERT_TRUE(hup);
  EXPECT_EQ(hup->type, Type::kSignal);
  EXPECT_EQ(hup->channel, AttachRelay::kFirstChannel);
  uint32_t sig = 0;
  ASSERT_TRUE(proto::decode_u32(hup->payload, &sig));
  EXPECT_EQ(sig, static_cast<uint32_t>(SIGHUP));
  EXPECT_EQ(relay_->clients(), 0u);
}

TEST_F(Relay, TheAttachSocketIsPrivateAndGoesAwayWithTheRelay) {
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  relay_.reset();
  EXPECT_NE(::access(socket_.c_str(), F_OK), 0);
}

TEST_F(Relay, LeavesFramesOnTheGuestsOwnChannelsToOthers) {
  proto::Frame f{Type::kStreamData, proto::kFirstGuestChannel, "x"};
  EXPECT_FALSE(relay_->route_from_guest(f));
  f.channel = AttachRelay::kFirstChannel;
  EXPECT_TRUE(relay_->route_from_guest(f));
}

}  // namespace
}  // namespace bbox::vm

namespace bbox::vm {
namespace {

TEST_F(Relay, ClientThatStopsReadingIsHungUpInsteadOfBufferedWithoutBound) {
  auto fd = connect_unix(socket_);
  ASSERT_TRUE(fd.ok());
  ControlChannel client(std::move(*fd));  // never read from here on
  client.send(Type::kExec, 1, "exec-payload");
  auto exec = next_from(*guest_);
  ASSERT_TRUE(exec);
  ASSERT_EQ(relay_->clients(), 1u);

  const std::string chunk(512 * 1024, 'x');
  std::optional<proto::Frame> hangup;
  for (size_t sent = 0; sent < AttachRelay::kMaxClientQueue + (4u << 20) && !hangup;) {
    guest_->send(Type::kStdout, AttachRelay::kFirstChannel, chunk);
    sent += chunk.size();
    while (guest_->queued() > 0) {  // the guest's output, routed as the session's loop does
      guest_->flush();
      to_guest_->read_available();
      while (auto f = to_guest_->next()) relay_->route_from_guest(*f);
    }
    guest_->read_available();
    hangup = guest_->next();
  }
  if (!hangup) hangup = next_from(*guest_);
  ASSERT_TRUE(hangup);
  EXPECT_EQ(hangup->type, Type::kSignal);
  EXPECT_EQ(hangup->channel, AttachRelay::kFirstChannel);
  EXPECT_EQ(hangup->payload, proto::encode_u32(SIGHUP));
  EXPECT_EQ(relay_->clients(), 0u);
}

}  // namespace
}  // namespace bbox::vm
