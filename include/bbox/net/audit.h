// The network's audit trail: one line per allowed or blocked name or
// connection to the session log, rate-limited because the guest can trigger
// them at will, and the end-of-session summary of what was blocked.
// Thread-safe: the switch thread writes, any thread may read the summary.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace bbox::net {

// Receives finished lines (no trailing newline). Called on the switch thread.
using AuditSink = std::function<void(std::string_view line)>;

class AuditLog {
 public:
  using Clock = std::chrono::steady_clock;

  // `burst` lines may be written at once, then `per_second` on average; the
  // rest are counted and reported as one "suppressed" line later.
  explicit AuditLog(AuditSink sink, double per_second = 20, double burst = 200);

  void allowed(std::string_view line);
  // `item` is what the summary names ("evil.example (DNS)", "203.0.113.9:443").
  void blocked(std::string_view item, std::string_view line);
  // Malformed input from the guest: counted, logged within the rate limit.
  void malformed(std::string_view what);

  // "blocked 3: evil.example (DNS), 203.0.113.9:443", or empty.
  std::string blocked_summary() const;
  uint64_t malformed_count() const;
  uint64_t suppressed_count() const;

 private:
  void write(std::string_view line);  // mu_ held
  bool take_token();                  // mu_ held

  AuditSink sink_;
  double per_second_, burst_;
  mutable std::mutex mu_;
  double tokens_;                                 // guarded by mu_
  Clock::time_point refilled_;                    // guarded by mu_
  uint64_t suppressed_ = 0;                       // guarded by mu_
  uint64_t suppressed_reported_ = 0;              // guarded by mu_
  uint64_t malformed_ = 0;                        // guarded by mu_
  std::vector<std::string> blocked_items_;        // first kMaxItems, in order; mu_
  std::unordered_set<std::string> blocked_seen_;  // guarded by mu_
  uint64_t blocked_overflow_ = 0;                 // distinct items past the cap; mu_
};

}  // namespace bbox::net
