// A line diff (Myers' O(ND) algorithm after trimming the common prefix and
// suffix; past kMaxEdits the middle is reported as replaced, still correct,
// just not minimal) and unified hunks that git apply and patch accept.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bbox::workspace {

// Lines keep their '\n'; the last one may lack it.
std::vector<std::string_view> split_lines(std::string_view text);

struct Op {
  enum Kind : char { kEqual = ' ', kDelete = '-', kInsert = '+' } kind;
  size_t a = 0, b = 0;  // line index in old (a) and new (b)
};

std::vector<Op> diff_lines(const std::vector<std::string_view>& a,
                           const std::vector<std::string_view>& b);

// A hunk covers ops [begin, end) including context.
struct Hunk {
  size_t begin = 0, end = 0;
  size_t old_start = 0, old_len = 0, new_start = 0, new_len = 0;  // 1-based starts
};

// Hunks with `context` lines around each change; changes closer than
// 2*context merge. `split` instead gives one hunk per run of changes.
std::vector<Hunk> make_hunks(const std::vector<Op>& ops, size_t context, bool split = false);

// "@@ -a,b +c,d @@\n" followed by the hunk's lines.
std::string format_hunk(const Hunk& h, const std::vector<Op>& ops,
                        const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b, bool colour);

// The old text with only the chosen hunks' changes applied. `accept` has
// one flag per hunk of `hunks` (which must not overlap).
std::string apply_hunks(const std::vector<Op>& ops, const std::vector<Hunk>& hunks,
                        const std::vector<bool>& accept, const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b);

}  // namespace bbox::workspace
