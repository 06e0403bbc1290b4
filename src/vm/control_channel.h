// The host end of the control protocol: one connected socket to QEMU's
// virtio-serial chardev, non-blocking, with an outgoing buffer so that bbox
// never blocks on a guest that is not reading while it is writing to us.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "bbox/proto/protocol.h"

namespace bbox::vm {

class ControlChannel {
 public:
  explicit ControlChannel(UniqueFd fd);

  int fd() const { return fd_.get(); }
  // Queues one frame and tries to send what is queued.
  void send(proto::Type type, uint32_t channel, std::string_view payload);
  // Sends what the socket takes now. False once the connection is broken.
  bool flush();
  bool wants_write() const { return !out_.empty(); }
  size_t queued() const { return out_.size(); }

  // Reads what is available. False on end of stream, error or a protocol
  // error (a frame too large): the guest is gone or not to be trusted.
  bool read_available();
  // The next whole frame received. A protocol error found here (a frame too
  // large) marks the channel broken.
  std::optional<proto::Frame> next();
  bool broken() const { return broken_; }

  // Waits until everything queued is sent, at most `timeout_ms`.
  bool drain(int timeout_ms);

 private:
  UniqueFd fd_;
  proto::FrameReader reader_;
  std::string out_;
  bool broken_ = false;
};

}  // namespace bbox::vm
