// ScopedEnv: one environment variable set for a test's lifetime, then put
// back as it was (restored, or unset if it was not set before).
#pragma once

#include <string>

namespace bbox::test_support {

class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::string old_;
  bool had_old_ = false;
};

}  // namespace bbox::test_support
