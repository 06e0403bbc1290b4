// Runs the built bbox executable with a controlled environment and captures
// its exit code, stdout and stderr.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace bbox::cli::testing {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "bbox-cli-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
};

// A sandbox for one bbox invocation: its own HOME and XDG_CONFIG_HOME.
class Bbox {
 public:
  Bbox() {
    env_["HOME"] = home_.path().string();
    env_["XDG_CONFIG_HOME"] = (home_.path() / "config").string();
    env_["XDG_CACHE_HOME"] = (home_.path() / "cache").string();
    env_["XDG_DATA_HOME"] = (home_.path() / "data").string();
    env_["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    env_["NO_COLOR"] = "1";
  }
  std::map<std::string, std::string>& env() { return env_; }
  const TempDir& home() const { return home_; }
  std::filesystem::path global_config() const {
    return home_.path() / "config/broodbox/config.yaml";
  }
  void set_global(const std::string& text) const {
    home_.write("config/broodbox/config.yaml", text);
  }

  Outcome run(const std::vector<std::string>& args,
              const std::filesystem::path& cwd = std::filesystem::path()) const {
    std::filesystem::path out = home_.path() / "stdout", err = home_.path() / "stderr";
    std::vector<std::string> argv_s = {std::string(BBOX_BINARY_DIR) + "/bbox"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (const auto& [k, v] : env_) env_s.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid == 0) {
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int n = ::open("/dev/null", O_RDONLY);
      ::dup2(n, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
      if (::chdir((cwd.empty() ? home_.path() : cwd).c_str()) != 0) ::_exit(120);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(121);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    Outcome r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

 private:
  TempDir home_;
  std::map<std::string, std::string> env_;
};

}  // namespace bbox::cli::testing
