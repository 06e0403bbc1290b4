// Workspace engine benchmark on a real large tree (Linux 6.1 sources from
// Debian's linux-source-6.1, ~75k files). Prints, from one run:
//   snapshot time against `cp -a` of the same tree,
//   diff time with 20 changed files against `sha256sum` over both trees,
//   flush time of those 20 files against `cp -p` of them.
// Usage: bbox_bench_workspace [TARBALL] [SCRATCH_DIR]
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bbox/common/message.h"
#include "bbox/workspace/workspace.h"
#include "workspace/changes.h"
#include "workspace/manifest.h"
#include "workspace/session_meta.h"

namespace fs = std::filesystem;
using namespace bbox::workspace;

namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

double timed_shell(const std::string& cmd) {
  double t = now();
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "bench: command failed: %s\n", cmd.c_str());
    std::exit(1);
  }
  return now() - t;
}

void drop_caches_if_root() {
  // Same state for every measurement: warm page cache (the tree was just
  // unpacked and read), no dirty data pending.
  ::sync();
}

}  // namespace

int main(int argc, char** argv) {
  fs::path tarball = argc > 1 ? argv[1] : "/usr/src/linux-source-6.1.tar.xz";
  fs::path scratch_root = argc > 2 ? argv[2] : fs::temp_directory_path();
  if (!fs::exists(tarball)) {
    std::fprintf(stderr, "bench: %s missing: apt-get install linux-source-6.1\n",
                 tarball.c_str());
    return 1;
  }
  std::string tmpl = (scratch_root / "bbox-bench-XXXXXX").string();
  fs::path scratch = ::mkdtemp(tmpl.data());
  ::setenv("XDG_CACHE_HOME", (scratch / "cache").c_str(), 1);
  std::printf("unpacking %s into %s ...\n", tarball.c_str(), scratch.c_str());
  std::fflush(stdout);
  timed_shell("tar -xf " + q(tarball) + " -C " + q(scratch));
  fs::path ws;
  for (const auto& e : fs::directory_iterator(scratch)) {
    if (e.is_directory() && e.path().filename() != "cache") ws = e.path();
  }
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(ws)) files += e.is_regular_file();
  std::printf("tree: %s, %zu files\n", ws.c_str(), files);

  drop_caches_if_root();
  double cp = timed_shell("cp -a " + q(ws) + " " + q(scratch / "cp-copy"));
  drop_caches_if_root();
  double t = now();
  auto session = create_session(ws);
  auto stats = take_snapshot(*session, SnapshotOptions{ws, {}});
  double snap = now() - t;
  if (!stats) {
    std::fprintf(stderr, "bench: %s\n", stats.error().message.c_str());
    return 1;
  }

  // 20 changed files, spread over the tree.
  std::vector<std::string> changed;
  auto manifest = Manifest::load(session->dir);
  size_t step = manifest->entries.size() / 21, i = 0;
  for (const auto& [path, e] : manifest->entries) {
    if (e.type == EntryType::kFile && i++ % step == 0 && changed.size() < 20) {
      std::ofstream(session->snapshot / path, std::ios::app) << "/* changed by the bench */\n";
      changed.push_back(path);
    }
  }
  drop_caches_if_root();
  double sha = timed_shell("cd " + q(ws) + " && find . -type f -print0 | xargs -0 -P" +
                           std::to_string(std::max(1u, std::thread::hardware_concurrency())) +
                           " sha256sum > /dev/null && cd " + q(session->snapshot) +
                           " && find . -type f -print0 | xargs -0 -P" +
                           std::to_string(std::max(1u, std::thread::hardware_concurrency())) +
                           " sha256sum > /dev/null");
  t = now();
  auto meta = read_meta(session->dir);
  auto trees = open_trees(*session, *meta);
  auto set = compute_changes(*trees, *manifest, *meta, false);
  double diff = now() - t;

  std::string cp_files = "cd " + q(session->snapshot) + " && cp -p --parents";
  for (const auto& p : changed) cp_files += " " + q(p);
  cp_files += " " + q(scratch / "cp-copy");
  double cp20 = timed_shell(cp_files);
  bbox::ui::set_sink_for_tests(new std::string);  // keep the summary out of the figures
  t = now();
  auto rc = finish_session(*session, FinishOptions{});
  double flush = now() - t;
  bbox::ui::set_sink_for_tests(nullptr);

  std::printf("snapshot: %.2f s for %llu files (%llu cloned), cp -a: %.2f s, ratio %.2f\n", snap,
              static_cast<unsigned long long>(stats->files),
              static_cast<unsigned long long>(stats->cloned), cp, snap / cp);
  std::printf("diff (%zu changes found): %.2f s, sha256sum of both trees: %.2f s, ratio %.3f\n",
              set->changes.size(), diff, sha, diff / sha);
  std::printf("flush (%zu files, rc %d): %.3f s, cp -p of them: %.3f s, ratio %.2f\n",
              changed.size(), rc ? *rc : -1, flush, cp20, flush / cp20);
  timed_shell("rm -rf " + q(scratch));
  return 0;
}
