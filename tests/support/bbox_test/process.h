// Child processes for tests: run a program to completion and capture what it
// printed, or start one in the background and wait for it later.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bbox::test_support {

struct ProcessResult {
  // The exit status, 128+N when killed by signal N, 127 when the program
  // could not be started, -1 when no child could be made.
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  // Variables set on top of this process's environment (or of an empty one
  // with clean_env). argv[0] without a '/' is looked up in the child's PATH.
  std::map<std::string, std::string> env;
  bool clean_env = false;
  // Where the child starts; empty: this process's working directory.
  std::filesystem::path cwd;
  // Fed to the child's stdin, which is then closed; nullopt: /dev/null.
  std::optional<std::string> input;
};

// Runs `argv` to completion. stdout and stderr are drained concurrently (and
// stdin fed at the same time), so a child filling one pipe cannot deadlock.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts `argv` with stdin, stdout and stderr on /dev/null; returns its pid,
// or -1. The caller must reap it with wait_process.
pid_t start_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});
// Waits for `pid`; returns its exit code as in ProcessResult.
int wait_process(pid_t pid);

// Runs `command` with /bin/sh -c and returns its stdout; its stderr goes to
// the test's stderr. `status`, when given, gets the exit status (-1 when the
// shell was killed by a signal).
std::string shell_output(const std::string& command, int* status = nullptr);

// `word` in single quotes, safe to paste into a /bin/sh command line.
std::string shell_quote(std::string_view word);
// Every word quoted, joined by spaces.
std::string shell_join(const std::vector<std::string>& argv);

// The absolute path of `program` in the directories of `path_list`
// (colon-separated, as in PATH); empty when it is not there.
std::filesystem::path find_program(std::string_view program, std::string_view path_list);

}  // namespace bbox::test_support
