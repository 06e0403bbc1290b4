// Differential test: generated trees and pattern files, bbox against
// `git check-ignore --no-index` run on the same tree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "bbox/workspace/exclude.h"
#include "workspace/test_util.h"

namespace bbox::workspace {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

const char* kNames[] = {"a",    "b",   "c.txt", "d.log", "ab", "x y", "#h", "!i", "node_modules",
                        "data", "sub", "f1",    "f1.txt"};
const char* kPieces[] = {"a",    "b",    "c.txt", "*.txt",        "*",
                         "**",   "?",    "[a-c]", "[!a]*",        "d.log",
                         "ab",   "sub",  "data",  "*.log",        "x\\ y",
                         "\\#h", "\\!i", "f1*",   "node_modules", "[[:alpha:]]b"};

std::string random_pattern(std::mt19937& rng) {
  std::string p;
  if (rng() % 4 == 0) p += "!";
  if (rng() % 4 == 0) p += "/";
  if (rng() % 5 == 0) p += "**/";
  int parts = 1 + rng() % 3;
  for (int i = 0; i < parts; ++i) {
    if (i > 0) p += "/";
    p += kPieces[rng() % std::size(kPieces)];
  }
  if (rng() % 4 == 0) p += "/";
  if (rng() % 8 == 0) p += "/**";
  if (rng() % 8 == 0) p += "   ";
  return p;
}

// Creates random files and directories; returns (path, is_dir) for all.
std::vector<std::pair<std::string, bool>> random_tree(std::mt19937& rng, const fs::path& root) {
  std::set<std::pair<std::string, bool>> out;
  for (int i = 0; i < 40; ++i) {
    int depth = 1 + rng() % 3;
    std::string rel;
    bool clash = false;
    for (int d = 0; d < depth; ++d) {
      if (d > 0) {
        if (out.count({rel, false})) clash = true;
        out.insert({rel, true});
        rel += "/";
      }
      rel += kNames[rng() % std::size(kNames)];
    }
    if (clash || out.count({rel, true})) continue;
    fs::create_directories((root / rel).parent_path());
    std::error_code ec;
    if (fs::is_directory(root / rel, ec)) continue;
    testing::write_file(root / rel, "x");
    out.insert({rel, false});
  }
  // Drop entries whose on-disk type disagrees (a name used as both).
  std::vector<std::pair<std::string, bool>> v;
  for (const auto& [p, dir] : out) {
    std::error_code ec;
    if (fs::is_directory(root / p, ec) == dir) v.push_back({p, dir});
  }
  return v;
}

std::set<std::string> git_ignored(const fs::path& root, const std::vector<std::string>& paths) {
  testing::write_file(root / ".git-paths", "");
  {
    std::ofstream list(root / ".git-paths", std::ios::binary);
    for (const auto& p : paths) list << p << '\0';
  }
  std::string cmd = "cd " + testing::shell_quote(root.string()) +
                    " && HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 git -c core.excludesFile= "
                    "check-ignore --no-index -z --stdin < .git-paths";
  std::string out = testing::run(cmd);
  std::set<std::string> ignored;
  std::stringstream ss(out);
  std::string item;
  while (std::getline(ss, item, '\0')) ignored.insert(item);
  return ignored;
}

TEST(ExcludeAgainstGit, GeneratedTreesAndPatternsAgreeWithCheckIgnore) {
  int compared = 0, ignored_seen = 0;
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    TempDir dir;
    ASSERT_EQ(std::system(("git init -q " + testing::shell_quote(dir.path().string())).c_str()), 0);
    auto tree = random_tree(rng, dir.path());
    std::string root_rules, sub_rules;
    for (int i = 0; i < 6; ++i) root_rules += random_pattern(rng) + (rng() % 5 ? "\n" : "\r\n");
    for (int i = 0; i < 3; ++i) sub_rules += random_pattern(rng) + "\n";
    testing::write_file(dir / ".gitignore", root_rules);
    bool nested = fs::is_directory(dir / "sub");
    if (nested) testing::write_file(dir / "sub/.gitignore", sub_rules);

    IgnoreRules mine;
    mine.add_buffer(root_rules);
    if (nested) mine.add_buffer(sub_rules, "sub/");
    std::vector<std::string> paths;
    for (const auto& [p, is_dir] : tree) paths.push_back(p);
    auto theirs = git_ignored(dir.path(), paths);
    for (const auto& [p, is_dir] : tree) {
      bool git_says = theirs.count(p) > 0;
      EXPECT_EQ(mine.excluded(p, is_dir), git_says)
          << "seed " << seed << " path '" << p << "' dir=" << is_dir << "\nrules:\n"
          << root_rules << (nested ? "sub/.gitignore:\n" + sub_rules : "");
      ++compared;
      ignored_seen += git_says;
    }
  }
  // The generator must exercise both answers, or the test proves nothing.
  EXPECT_GT(compared, 500);
  EXPECT_GT(ignored_seen, 100);
  EXPECT_LT(ignored_seen, compared - 100);
}

}  // namespace
}  // namespace bbox::workspace
