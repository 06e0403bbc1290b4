#include "session/harness.h"

#include "bbox_test/busybox_rootfs.h"

namespace bbox::testing {

namespace fs = std::filesystem;

namespace {

test_support::ProcessOptions bbox_options(const fs::path& cwd, const fs::path& home) {
  return {.env = {{"HOME", home.string()},
                  {"XDG_CONFIG_HOME", (home / ".config").string()},
                  {"XDG_DATA_HOME", (home / ".local/share").string()},
                  {"XDG_CACHE_HOME", (fs::path(BBOX_BINARY_DIR) / "test-cache").string()},
                  {"NO_COLOR", "1"}},
          .cwd = cwd};
}

std::vector<std::string> bbox_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{std::string(BBOX_BINARY_DIR) + "/bbox"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

fs::path busybox_rootfs() {
  test_support::RootfsSpec spec;
  spec.dirs = {"etc", "tmp", "proc", "sys", "dev", "run", "workspace"};
  spec.files = {{"etc/passwd", test_support::kRootPasswd}, {"etc/group", test_support::kRootGroup}};
  auto root = test_support::busybox_rootfs(fs::path(BBOX_BINARY_DIR) / "test-rootfs-busybox", spec);
  return root.ok() ? *root : fs::path();
}

RunOutput run_bbox(const fs::path& cwd, const fs::path& home,
                   const std::vector<std::string>& args) {
  return test_support::run_process(bbox_argv(args), bbox_options(cwd, home));
}

pid_t start_bbox(const fs::path& cwd, const fs::path& home, const std::vector<std::string>& args) {
  return test_support::start_process(bbox_argv(args), bbox_options(cwd, home));
}

int wait_bbox(pid_t pid) { return test_support::wait_process(pid); }

}  // namespace bbox::testing
