// The switch thread: libslirp, the EgressFilter, the QEMU stream connection
// and the socket to the host resolver, driven by one poll() loop. Every
// member below is touched only on the loop thread, or under mu_ by
// add_service() while the loop waits in poll().
#pragma once

#include <slirp/libslirp.h>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "bbox/net/egress_filter.h"

namespace bbox::net {

class SlirpLoop {
 public:
  // Takes the listening socket and UDP sockets connected to the resolver;
  // each query goes out on one picked at random, so its source port is one
  // more thing a spoofed answer has to guess.
  SlirpLoop(EgressPolicy policy, AuditLog& audit, UniqueFd listener,
            std::vector<UniqueFd> upstream);
  ~SlirpLoop();  // stops and joins the thread, then frees libslirp

  Status start();
  Status add_service(uint16_t port, const std::string& unix_socket);

 private:
  struct Timer {
    SlirpTimerId id;
    void* cb_opaque;
    int64_t expire_ms = -1;
  };

  void run();
  void iterate();
  int poll_timeout_ms(uint32_t slirp_timeout);
  void handle_listener();
  void read_guest();
  void flush_guest();
  void close_guest();
  int send_upstream(Bytes query);
  void read_upstream(size_t channel);
  void run_timers();
  void queue_to_guest(std::vector<uint8_t> frame);

  static ssize_t cb_send_packet(const void* buf, size_t len, void* opaque);
  static void cb_guest_error(const char* msg, void* opaque);
  static int64_t cb_clock_ns(void* opaque);
  static void* cb_timer_new(SlirpTimerId id, void* cb_opaque, void* opaque);
  static void cb_timer_free(void* timer, void* opaque);
  static void cb_timer_mod(void* timer, int64_t expire_ms, void* opaque);
  static int cb_add_poll(int fd, int events, void* opaque);
  static int cb_get_revents(int idx, void* opaque);

  std::mutex mu_;
  AuditLog& audit_;
  EgressFilter filter_;
  UniqueFd listener_, guest_, wake_;
  std::vector<UniqueFd> upstream_;
  std::mt19937 pick_{std::random_device{}()};
  Slirp* slirp_ = nullptr;
  SlirpCb callbacks_{};
  std::vector<Timer*> timers_;
  std::vector<pollfd> pollfds_;
  std::vector<uint8_t> in_, out_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace bbox::net
