// Workspace engine benchmark on a real large tree (Linux 6.1 sources from
// Debian's linux-source-6.1, ~75k files). Prints, from one run:
//   snapshot time against `cp -a` of the same tree,
//   diff time with 20 changed files against `sha256sum` over both trees,
//   flush time of those 20 files against `cp -p` of them.
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
#include "workspace/flush.h"
#include "workspace/manifest.h"
#include "workspace/review.h"
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

// Same state for every measurement: warm page cache (the tree was just
// unpacked and read), no dirty data pending.
void drop_caches_if_root() { ::sync(); }

// Times snapshot, diff and flush of `ws` and prints them as ratios.
void bench_tree(const fs::path& ws, const fs::path& scratch) {
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
    std::exit(1);
  }
  std::printf("snapshot: %.2f s for %llu files (%llu cloned), cp -a: %.2f s, ratio %.2f\n", snap,
              static_cast<unsigned long long>(stats->files),
              static_cast<unsigned long long>(stats->cloned), cp, snap / cp);
  std::fflush(stdout);

  // 20 changed files, spread over the tree.
  std::vector<std::string> changed;
  auto manifest = Manifest::load(session->dir);
  size_t step = std::max<size_t>(1, manifest->entries.size() / 21), i = 0;
  for (const auto& [path, e] : manifest->entries) {
    if (e.type == EntryType::kFile && i++ % step == 0 && changed.size() < 20) {
      std::ofstream(session->snapshot / path, std::ios::app) << "/* changed by the bench */\n";
      changed.push_back(path);
    }
  }
  std::string jobs = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
  double sha =
      timed_shell("cd " + q(ws) + " && find . -type f -print0 | xargs -0 -P" + jobs +
                  " sha256sum > /dev/null && cd " + q(session->snapshot) +
                  " && find . -type f -print0 | xargs -0 -P" + jobs + " sha256sum > /dev/null");
  // Debian's linux-source .gitignore ignores every top-level entry, so the
  // bench asks for gitignored files too (the same work plus the matching).
  t = now();
  auto meta = read_meta(session->dir);
  auto trees = open_trees(*session, *meta);
  auto set = compute_changes(*trees, *manifest, *meta, true);
  double diff = now() - t;
  std::printf("diff (%zu changes found): %.2f s, sha256sum of both trees: %.2f s, ratio %.3f\n",
              set->changes.size(), diff, sha, diff / sha);
  std::fflush(stdout);

  std::string cp_files = "cd " + q(session->snapshot) + " && cp -p --parents";
  for (const auto& p : changed) cp_files += " " + q(p);
  cp_files += " " + q(scratch / "cp-copy");
  double cp20 = timed_shell(cp_files);
  bbox::ui::set_sink_for_tests(new std::string);  // keep the messages out of the figures
  t = now();
  auto items = default_review(*set, false, session->id);
  auto journal = Journal::open(session->dir);
  FlushReport report = flush_changes(*trees, *journal, *manifest, items);
  double flush = now() - t;
  bbox::ui::set_sink_for_tests(nullptr);
  std::printf("flush (%zu applied): %.3f s, cp -p of the same files: %.3f s, ratio %.2f\n",
              report.applied.size(), flush, cp20, flush / cp20);
  std::fflush(stdout);

  t = now();
  // This process holds the session's lock: remove it as its holder.
  if (auto st = remove_session_dir(*session); !st) {
    std::fprintf(stderr, "bench: %s\n", st.error().message.c_str());
    std::exit(1);
  }
  double rm = now() - t;
  double rm_cp = timed_shell("rm -rf " + q(scratch / "cp-copy"));
  std::printf("session removal: %.2f s, rm -rf of the cp -a copy: %.2f s, ratio %.2f\n", rm, rm_cp,
              rm / rm_cp);
}

void make_many_files(const fs::path& root, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    fs::path dir = root / ("d" + std::to_string(i / 1000));
    if (i % 1000 == 0) fs::create_directories(dir);
    std::ofstream(dir / ("f" + std::to_string(i) + ".txt")) << "small file " << i << "\n";
  }
}

}  // namespace

// Usage: bbox_bench_workspace [TARBALL|DIRECTORY] [--many-files N]
//   TARBALL is unpacked into a scratch directory; a DIRECTORY is used as the
//   workspace directly (its 20 changed files are flushed into it).
//   --many-files N benchmarks a generated tree of N small files instead.
int main(int argc, char** argv) {
  fs::path source = "/usr/src/linux-source-6.1.tar.xz";
  size_t many = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--many-files" && i + 1 < argc)
      many = std::stoul(argv[++i]);
    else
      source = a;
  }
  std::string tmpl = (fs::temp_directory_path() / "bbox-bench-XXXXXX").string();
  fs::path scratch = ::mkdtemp(tmpl.data());
  ::setenv("XDG_CACHE_HOME", (scratch / "cache").c_str(), 1);
  fs::path ws;
  if (many > 0) {
    ws = scratch / "many";
    make_many_files(ws, many);
  } else if (fs::is_directory(source)) {
    ws = source;
  } else if (fs::exists(source)) {
    std::printf("unpacking %s into %s ...\n", source.c_str(), scratch.c_str());
    std::fflush(stdout);
    timed_shell("mkdir " + q(scratch / "src") + " && tar -xf " + q(source) + " -C " +
                q(scratch / "src"));
    ws = fs::directory_iterator(scratch / "src")->path();
  } else {
    std::fprintf(stderr, "bench: %s missing: apt-get install linux-source-6.1\n", source.c_str());
    return 1;
  }
  bench_tree(ws, scratch);
  timed_shell("rm -rf " + q(scratch));
  return 0;
}
