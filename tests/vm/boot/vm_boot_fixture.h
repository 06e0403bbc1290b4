// Shared set-up of the boot tests: a busybox-static root image made once per
// test process, a fresh session and shared directory per test, and helpers to
// run bbox-vm-driver (also as a throw-away normal user).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox_test/files.h"
#include "bbox_test/process.h"
#include "bbox_test/temp_dir.h"
#include "vm/child_process.h"

namespace bbox::vm::testing {

namespace fs = std::filesystem;

struct DriverRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A user created for one test with a subordinate id range, deleted again.
struct TestUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  fs::path home;

  static Result<TestUser> create(const std::string& name, uint32_t sub_start);
  TestUser() = default;
  TestUser(TestUser&& o) noexcept;
  TestUser& operator=(TestUser&&) = delete;
  ~TestUser();
};

class VmBoot : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  fs::path session() const { return dir_ / "s"; }
  fs::path shared() const { return dir_ / "w"; }

  // argv that runs the driver on this test's session with `guest_argv`.
  std::vector<std::string> driver_command(const std::vector<std::string>& guest_argv,
                                          bool tty) const;
  DriverRun run(const std::vector<std::string>& guest_argv);
  DriverRun run_argv(const std::vector<std::string>& argv);
  Result<ChildProcess> start_driver(const std::vector<std::string>& argv);
  bool wait_for_file(const fs::path& file, std::chrono::seconds limit);

  // Hands the session and shared directories to `user` and gives it a copy
  // of the cached guest kernel.
  Status prepare_for(const TestUser& user);
  DriverRun run_as(const TestUser& user, const std::vector<std::string>& guest_argv);

 private:
  static std::unique_ptr<test_support::TempDir> base_dir_;
  static fs::path base_;
  static fs::path root_image_;
  static std::string skip_reason_;
  fs::path dir_;
};

using test_support::read_file;
using test_support::shell_output;
using test_support::write_file;

// Every word of `argv` quoted for /bin/sh, joined by spaces.
inline std::string shell_quote(const std::vector<std::string>& argv) {
  return test_support::shell_join(argv);
}
int sh(const std::string& command);

}  // namespace bbox::vm::testing
