// What the agent proofs share: running the bbox binary of this build tree,
// git in the test repository, and the repository itself (a real npm
// package's published sources, unpacked and committed).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agents/test_util.h"
#include "image/build_steps.h"
#include "image/process.h"

namespace bbox::image::build::proof {

inline const std::filesystem::path kBbox = std::filesystem::path(BBOX_BINARY_DIR) / "bbox";
inline const std::filesystem::path kBboxInit =
    std::filesystem::path(BBOX_BINARY_DIR) / "guest" / "bbox-init";

// Runs argv in cwd with extra environment, stdin from /dev/null, stdout and
// stderr into `out`. Returns the exit status (128+N for a signal).
inline int run_in(const std::filesystem::path& cwd, const std::vector<std::string>& argv,
                  const std::vector<std::string>& env, const std::filesystem::path& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    int log = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string git(const std::filesystem::path& repo, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", repo.string()});
  auto out = run_program(args);
  EXPECT_TRUE(out.ok()) << out.error().message;
  return out.ok() ? *out : "";
}

// A real repository: the published `ms` package, unpacked and committed.
inline std::filesystem::path make_repository(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "tarball");
  auto t = npm_pack("ms@2.1.3", dir / "tarball", {});
  EXPECT_TRUE(t.ok()) << t.error().message;
  std::filesystem::path repo = dir / "ms";
  std::filesystem::create_directories(repo);
  EXPECT_TRUE(
      run_program({"tar", "-xzf", t->file.string(), "--strip-components=1", "-C", repo.string()})
          .ok());
  git(repo, {"init", "-q"});
  git(repo, {"add", "-A"});
  git(repo, {"-c", "user.name=bbox test", "-c", "user.email=test@bbox.invalid", "commit", "-qm",
             "ms 2.1.3 as published"});
  return repo;
}

// The edit both proofs ask their agent to make in the repository's index.js.
inline constexpr const char* kPrompt = "Document the minute constant in index.js";
inline constexpr const char* kOld = "var m = s * 60;";
inline constexpr const char* kNew = "var m = s * 60; // one minute in milliseconds";

// The repository holds exactly that edit of `before` (index.js as
// committed), and git sees nothing else changed.
inline void expect_only_the_edit(const std::filesystem::path& repo, std::string before) {
  before.replace(before.find(kOld), std::string(kOld).size(), kNew);
  EXPECT_EQ(read_text(repo / "index.js"), before);
  EXPECT_EQ(git(repo, {"status", "--porcelain", "--untracked-files=all"}), " M index.js\n");
}

}  // namespace bbox::image::build::proof
