// Which workspace paths stay out of the snapshot, with git's gitignore rules.
//
// Three tiers, checked in this order:
//   1. secrets: a fixed list no pattern can negate (.env*, *.pem, .ssh/, ...);
//   2. performance excludes (node_modules/, build/, ...), which user patterns
//      may negate;
//   3. user patterns: .broodboxignore, review.exclude_patterns, --exclude.
// Tiers 2 and 3 form one gitignore list (later lines win, "!" negates, and a
// path under an excluded directory can never be re-included).
//
// Matching is an NFA simulation over the compiled pattern: time is
// O(pattern length x path length), never exponential.
#pragma once

#include <bitset>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::workspace {

// One compiled wildmatch pattern (git's wildmatch with WM_PATHNAME).
class Glob {
 public:
  explicit Glob(std::string_view pattern);
  bool matches(std::string_view text) const;

  // One step of the compiled pattern. kStarStar and kStar may repeat; a
  // kSplit reads nothing and leads both to the next token and to skip_to
  // (the "**/" that matches no directory at all).
  struct Token {
    enum Kind : uint8_t { kLiteral, kAnyChar, kClass, kStar, kStarStar, kSplit, kNever } kind;
    unsigned char literal = 0;
    std::bitset<256> set;  // kClass members
    int skip_to = -1;
  };

 private:
  std::vector<Token> tokens_;
};

// One gitignore line, parsed.
struct IgnoreRule {
  std::string text;  // the line as written (after trimming)
  std::string base;  // directory of the file it came from, "" or "a/b/"
  bool negated = false;
  bool must_be_dir = false;
  bool basename_only = false;  // no '/' in the pattern: match the last component
  std::string pattern;         // without '!', leading '/' and trailing '/'
  size_t literal_prefix = 0;   // git's "nowildcardlen", for its prefix split
};

enum class Verdict { kNoMatch, kExcluded, kIncluded };

// An ordered list of gitignore rules; the last matching rule decides.
class IgnoreRules {
 public:
  // Adds every line of a gitignore-format buffer. `base` is the directory
  // (relative to the root, "" or ending in '/') the file lives in.
  void add_buffer(std::string_view text, std::string_view base = "");
  // Adds one pattern line (no comment or trailing-space processing beyond
  // git's own for a single line).
  void add_line(std::string_view line, std::string_view base = "");

  // The verdict of the last rule matching `path` itself (parents ignored).
  Verdict match_one(std::string_view path, bool is_dir) const;
  // git's full answer: excluded when an ancestor directory is excluded, else
  // by match_one. `path` is relative, '/'-separated, no trailing slash.
  bool excluded(std::string_view path, bool is_dir) const;

  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }

 private:
  struct Compiled {
    IgnoreRule rule;
    Glob glob;  // over the pattern after the literal prefix
  };
  bool rule_matches(const Compiled& c, std::string_view path, bool is_dir) const;
  std::vector<Compiled> rules_;
};

// Why a path is left out of the snapshot.
enum class ExcludeReason { kNone, kSecret, kPattern };

class ExclusionPolicy {
 public:
  // Secrets and performance excludes only.
  ExclusionPolicy();

  // Builds the policy for a workspace: reads <workspace>/.broodboxignore
  // (a regular file only: a symlink or FIFO there is an error, since
  // skipping the user's exclusions could leak files), then adds `extra`
  // (review.exclude_patterns and --exclude, in that order).
  static Result<ExclusionPolicy> for_workspace(const std::filesystem::path& workspace,
                                               const std::vector<std::string>& extra);

  void add_user_buffer(std::string_view text) {
    user_.add_buffer(text);
    user_text_ += text;
    user_text_ += '\n';
  }
  // The .broodboxignore text this policy was built from.
  const std::string& user_text() const { return user_text_; }
  void add_user_line(std::string_view line) { user_.add_line(line); }

  // Decision for one entry whose ancestors were already found not excluded
  // (a tree walk prunes excluded directories).
  ExcludeReason classify_entry(std::string_view path, bool is_dir) const;
  // Full decision, walking the ancestors of `path` too.
  ExcludeReason classify(std::string_view path, bool is_dir) const;

  // True when the fixed secrets tier matches `path` itself.
  bool is_secret_entry(std::string_view path, bool is_dir) const;

 private:
  IgnoreRules secrets_;
  IgnoreRules user_;  // performance excludes first, then the user's lines
  std::string user_text_;
};

// The fixed secrets patterns (gitignore syntax) and performance excludes.
const std::vector<std::string>& secret_patterns();
const std::vector<std::string>& performance_excludes();

}  // namespace bbox::workspace
