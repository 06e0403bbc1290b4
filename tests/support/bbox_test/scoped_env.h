// ScopedEnv: one environment variable set for a test's lifetime, then put
// back as it was (restored, or unset if it was not set before).
#pragma once

#include <optional>
#include <string>

namespace bbox::test_support {

class ScopedEnv {
 public:
  // Sets `name` to `value`, or unsets it when `value` is nullopt.
  ScopedEnv(std::string name, std::optional<std::string> value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::string old_;
  bool had_old_ = false;
};

}  // namespace bbox::test_support
