// gitignore parsing and matching, following git's dir.c: trailing-space and
// CR handling, '!' negation, '/' anchoring, directory-only patterns, and the
// rule that nothing under an excluded directory can be re-included.
#include "bbox/workspace/exclude.h"

namespace bbox::workspace {
namespace {

bool glob_special(char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

size_t literal_length(std::string_view p) {
  size_t i = 0;
  while (i < p.size() && !glob_special(p[i])) ++i;
  return i;
}

// git's trim_trailing_spaces(): unescaped trailing spaces go; "\ " stays.
std::string_view trim_trailing_spaces(std::string_view s) {
  size_t last_space = std::string_view::npos;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ') {
      if (last_space == std::string_view::npos) last_space = i;
      continue;
    }
    if (s[i] == '\\') {
      ++i;
      if (i >= s.size()) return s;  // backslash at the end: left as it is
    }
    last_space = std::string_view::npos;
  }
  return last_space == std::string_view::npos ? s : s.substr(0, last_space);
}

std::string_view basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

void IgnoreRules::add_buffer(std::string_view text, std::string_view base) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    // Only a CR right before the LF is dropped, as git does.
    if (end < text.size() && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] != '#') add_line(line, base);
    start = end + 1;
  }
}

void IgnoreRules::add_line(std::string_view raw, std::string_view base) {
  if (raw.empty() || raw[0] == '#') return;
  std::string_view p = trim_trailing_spaces(raw);
  IgnoreRule r;
  r.text = std::string(p);
  r.base = std::string(base);
  if (!p.empty() && p[0] == '!') {
    r.negated = true;
    p.remove_prefix(1);
  }
  if (!p.empty() && p.back() == '/') {
    r.must_be_dir = true;
    p.remove_suffix(1);
  }
  if (p.empty()) return;  // matches nothing in git either
  r.basename_only = p.find('/') == std::string_view::npos;
  r.literal_prefix = literal_length(p);
  if (!r.basename_only && p[0] == '/') {
    p.remove_prefix(1);
    if (r.literal_prefix > 0) --r.literal_prefix;
  }
  r.pattern = std::string(p);
  std::string_view globbed = r.basename_only ? std::string_view(r.pattern)
                                             : std::string_view(r.pattern).substr(r.literal_prefix);
  Glob glob(globbed);
  rules_.push_back(Compiled{std::move(r), std::move(glob)});
}

bool IgnoreRules::rule_matches(const Compiled& c, std::string_view path, bool is_dir) const {
  const IgnoreRule& r = c.rule;
  if (r.must_be_dir && !is_dir) return false;
  if (!r.base.empty()) {
    if (path.size() <= r.base.size() || path.substr(0, r.base.size()) != r.base) return false;
  }
  std::string_view name = path.substr(r.base.size());
  if (r.basename_only) return c.glob.matches(basename_of(name));

  // git compares the literal prefix first, then globs the rest of the name.
  std::string_view prefix = std::string_view(r.pattern).substr(0, r.literal_prefix);
  if (prefix.size() > name.size() || name.substr(0, prefix.size()) != prefix) return false;
  return c.glob.matches(name.substr(prefix.size()));
}

Verdict IgnoreRules::match_one(std::string_view path, bool is_dir) const {
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (rule_matches(*it, path, is_dir)) {
      return it->rule.negated ? Verdict::kIncluded : Verdict::kExcluded;
    }
  }
  return Verdict::kNoMatch;
}

bool IgnoreRules::excluded(std::string_view path, bool is_dir) const {
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (match_one(path.substr(0, slash), true) == Verdict::kExcluded) return true;
  }
  return match_one(path, is_dir) == Verdict::kExcluded;
}

}  // namespace bbox::workspace
