#include "workspace/review.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "bbox/common/message.h"
#include "workspace/linediff.h"
#include "workspace/patch.h"

namespace bbox::workspace {
namespace {

std::string_view basename_of(std::string_view p) {
  size_t s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

bool has_component_pair(std::string_view path, std::string_view a, std::string_view b) {
  std::string needle = std::string(a) + "/" + std::string(b);
  return path.rfind(needle, 0) == 0 || path.find("/" + needle) != std::string_view::npos;
}

bool under(std::string_view path, std::string_view dir) {
  return path == dir || path.rfind(std::string(dir) + "/", 0) == 0 ||
         path.find("/" + std::string(dir) + "/") != std::string_view::npos ||
         path.ends_with("/" + std::string(dir));
}

const char* kind_word(const Change& c) {
  switch (c.kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kDeleted:
      return "deleted";
    case ChangeKind::kTypeChanged:
      return "type changed";
    case ChangeKind::kModified:
      return c.content_changed ? "modified" : "mode changed";
  }
  return "";
}

class TerminalIo : public ReviewIo {
 public:
  void show(const std::string& text) override {
    winsize ws{};
    size_t rows = ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 ? ws.ws_row : 24;
    size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    if (::isatty(STDOUT_FILENO) && lines + 2 > rows) {
      const char* pager = std::getenv("PAGER");
      std::string cmd = pager != nullptr && *pager != '\0' ? pager : "less";
      ::setenv("LESS", "FRX", 0);
      std::fflush(stdout);
      if (FILE* p = ::popen(cmd.c_str(), "w")) {
        std::fwrite(text.data(), 1, text.size(), p);
        ::pclose(p);
        return;
      }
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  char ask(const std::string& question) override {
    std::fputs(question.c_str(), stdout);
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line)) return 0;
    size_t i = line.find_first_not_of(" \t");
    return i == std::string::npos ? '\n' : line[i];
  }
};

const char kFileHelp[] =
    "y - apply this change\nn - do not apply this change\na - apply this and all later changes\n"
    "r - reject this and all later changes\nq - quit; this and later changes stay for "
    "`bbox review`\ns - choose hunk by hunk\n";

// Per-hunk review of one text file. Returns nullopt when the user quit.
std::optional<Reviewed> review_hunks(const Change& c, const Trees& t, ReviewIo& io, bool colour) {
  auto old_text = read_text_beneath(t.workspace.get(), c.path, 8u << 20);
  auto new_text = read_text_beneath(t.snapshot.get(), c.path, 8u << 20);
  Reviewed r{c, Decision::kReject};
  if (!old_text || !new_text) return r;
  auto la = split_lines(*old_text), lb = split_lines(*new_text);
  auto ops = diff_lines(la, lb);
  auto fine = make_hunks(ops, 3, true);
  std::vector<Hunk> coarse = make_hunks(ops, 3);
  std::vector<Hunk> chosen_hunks;
  std::vector<bool> chosen;
  for (size_t h = 0; h < coarse.size(); ++h) {
    std::vector<Hunk> queue = {coarse[h]};
    while (!queue.empty()) {
      Hunk cur = queue.front();
      queue.erase(queue.begin());
      io.show(format_hunk(cur, ops, la, lb, colour));
      char a = io.ask(fmt::format("Apply this hunk to {}? [y,n,s,q] ", ui::quoted(c.path)));
      if (a == 'q' || a == 0) return std::nullopt;
      if (a == 's') {
        std::vector<Hunk> parts;
        for (const Hunk& f : fine) {
          if (f.begin >= cur.begin && f.end <= cur.end) parts.push_back(f);
        }
        if (parts.size() > 1) {
          queue.insert(queue.begin(), parts.begin(), parts.end());
          continue;
        }
        io.show("This hunk cannot be split further.\n");
        queue.insert(queue.begin(), cur);
        continue;
      }
      chosen_hunks.push_back(cur);
      chosen.push_back(a == 'y');
    }
  }
  size_t yes = static_cast<size_t>(std::count(chosen.begin(), chosen.end(), true));
  if (yes == 0) return r;
  r.decision = Decision::kAccept;
  if (yes < chosen.size()) r.content = apply_hunks(ops, chosen_hunks, chosen, la, lb);
  return r;
}

}  // namespace

PathRisk classify_risk(const std::string& path) {
  std::string_view base = basename_of(path);
  if (has_component_pair(path, ".git", "hooks") || has_component_pair(path, ".git", "config") ||
      has_component_pair(path, ".git", "modules") || under(path, ".husky") ||
      base == ".pre-commit-config.yaml" || path == ".git/config.worktree") {
    return PathRisk::kRunsCode;
  }
  static const char* kBuildNames[] = {
      "Makefile",       "makefile",    "GNUmakefile",         "CMakeLists.txt", "package.json",
      ".envrc",         "Dockerfile",  "docker-compose.yml",  "compose.yaml",   "Jenkinsfile",
      ".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", "build.gradle",   "build.gradle.kts",
      "pom.xml",        "setup.py",    "pyproject.toml",      "Cargo.toml",     "build.rs",
      "justfile",       "Justfile",    "Taskfile.yml",        "meson.build",    ".gitattributes",
      ".gitmodules",    "configure"};
  for (const char* n : kBuildNames) {
    if (base == n) return PathRisk::kBuild;
  }
  if (base.ends_with(".mk") || base.ends_with(".cmake")) return PathRisk::kBuild;
  if (under(path, ".github/workflows") || under(path, ".circleci") ||
      under(path, ".devcontainer") || path.ends_with(".vscode/tasks.json") ||
      path.ends_with(".vscode/settings.json") || path.ends_with(".vscode/launch.json")) {
    return PathRisk::kBuild;
  }
  return PathRisk::kNormal;
}

std::vector<Reviewed> default_review(const ChangeSet& set, bool yes, const std::string& session) {
  std::vector<Reviewed> out;
  size_t held = 0;
  for (const Change& c : set.changes) {
    Reviewed r{c, Decision::kAccept};
    PathRisk risk = classify_risk(c.path);
    if (risk == PathRisk::kRunsCode && !yes) {
      r.decision = Decision::kPending;
      if (held++ < 20) {
        ui::warning(
            "not applied {}: it can run code on this machine; approve it with "
            "`bbox review {} --review` (or --yes)",
            ui::quoted(c.path), session);
      }
    } else if (risk == PathRisk::kBuild) {
      ui::warning("applying {} ({}): a build or CI file; check it before running it",
                  ui::quoted(c.path), kind_word(c));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<ReviewIo> terminal_io() { return std::make_unique<TerminalIo>(); }

std::vector<Reviewed> interactive_review(const ChangeSet& set, const Trees& trees, ReviewIo& io) {
  std::vector<Reviewed> out;
  bool colour = ui::colour_enabled(STDOUT_FILENO);
  Decision rest = Decision::kPending;
  bool decided_rest = false;
  for (size_t i = 0; i < set.changes.size(); ++i) {
    const Change& c = set.changes[i];
    if (decided_rest) {
      out.push_back({c, rest});
      continue;
    }
    std::string text = fmt::format(
        "[{}/{}] {} {}{}{}\n", i + 1, set.changes.size(), kind_word(c), ui::quoted(c.path),
        c.conflict ? " (conflict: you changed it too; the agent's "
                     "version will be kept beside it)"
                   : "",
        classify_risk(c.path) == PathRisk::kRunsCode ? " (runs code on this machine)" : "");
    PatchOptions po;
    po.colour = colour;
    if (auto st = write_patch(c, trees, po, [&text](std::string_view s) { text += s; }); !st) {
      text += "(cannot show the diff: " + st.error().message + ")\n";
    }
    io.show(text);
    while (true) {
      char a = io.ask(fmt::format("Apply this change to {}? [y,n,a,r,q,s,?] ", ui::quoted(c.path)));
      if (a == 'y' || a == 'n') {
        out.push_back({c, a == 'y' ? Decision::kAccept : Decision::kReject});
      } else if (a == 'a' || a == 'r') {
        rest = a == 'a' ? Decision::kAccept : Decision::kReject;
        decided_rest = true;
        out.push_back({c, rest});
      } else if (a == 'q' || a == 0) {
        rest = Decision::kPending;
        decided_rest = true;
        out.push_back({c, Decision::kPending});
      } else if (a == 's' && c.kind == ChangeKind::kModified && c.content_changed &&
                 c.after.type == EntryType::kFile && !c.conflict) {
        auto r = review_hunks(c, trees, io, colour);
        if (!r) {
          decided_rest = true;
          out.push_back({c, Decision::kPending});
        } else {
          out.push_back(std::move(*r));
        }
      } else {
        io.show(kFileHelp);
        continue;
      }
      break;
    }
  }
  return out;
}

}  // namespace bbox::workspace
