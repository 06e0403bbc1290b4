// bbox agents add run several times at once on one global config: every
// agent that was reported declared is in the file afterwards.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run_bbox.h"

namespace bbox::cli {
namespace {

using testing::Bbox;
using testing::slurp;

// Starts `bbox agents add NAME ...` in the background with b's environment.
pid_t start_add(Bbox& b, const std::string& name) {
  std::vector<std::string> args = {std::string(BBOX_BINARY_DIR) + "/bbox",
                                   "agents",
                                   "add",
                                   name,
                                   "--image",
                                   "img:" + name,
                                   "--command",
                                   "run",
                                   "--egress-profile",
                                   "permissive"};
  std::vector<std::string> env;
  for (const auto& [k, v] : b.env()) env.push_back(k + "=" + v);
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    for (auto& e : env) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(121);
  }
  return pid;
}

TEST(AgentsAdd, ConcurrentAddsAllLandInTheConfig) {
  Bbox b;
  b.set_global("defaults:\n  cpus: 2\n");
  constexpr int kAdds = 12;
  std::vector<pid_t> pids;
  for (int i = 0; i < kAdds; ++i) pids.push_back(start_add(b, "race" + std::to_string(i)));
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  std::string config = slurp(b.global_config());
  for (int i = 0; i < kAdds; ++i) {
    std::string entry = "  race" + std::to_string(i) + ":\n";
    EXPECT_NE(config.find(entry), std::string::npos) << entry << "missing from:\n" << config;
  }
  EXPECT_NE(config.find("defaults:\n  cpus: 2\n"), std::string::npos) << config;
}

}  // namespace
}  // namespace bbox::cli
