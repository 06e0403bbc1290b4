// Review: which changes go back to the workspace. Without --review a fixed
// policy decides; with --review the user decides per file and per hunk.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "workspace/changes.h"

namespace bbox::workspace {

enum class Decision { kAccept, kReject, kPending };

struct Reviewed {
  Change change;
  Decision decision = Decision::kPending;
  // Set when only some hunks were accepted: the file's new content.
  std::optional<std::string> content;
};

// Paths that run code on the host later (rejected by default) and build or
// CI files (accepted with a warning).
enum class PathRisk { kNormal, kRunsCode, kBuild };
PathRisk classify_risk(const std::string& path);

// The default policy. Prints one line per held-back or warned path.
std::vector<Reviewed> default_review(const ChangeSet& set, bool yes, const std::string& session);

// Terminal I/O of the interactive review, replaceable in tests.
class ReviewIo {
 public:
  virtual ~ReviewIo() = default;
  virtual void show(const std::string& text) = 0;  // may page
  // Prints the question and returns the answer's first character (0 on EOF).
  virtual char ask(const std::string& question) = 0;
};

// The terminal: answers from stdin, long diffs through $PAGER (less -FRX).
std::unique_ptr<ReviewIo> terminal_io();

std::vector<Reviewed> interactive_review(const ChangeSet& set, const Trees& trees, ReviewIo& io);

}  // namespace bbox::workspace
