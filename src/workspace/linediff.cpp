#include "workspace/linediff.h"

#include <fmt/format.h>

#include <unordered_map>

namespace bbox::workspace {
namespace {

constexpr int kMaxEdits = 2000;

// Myers over ids a[0..n) and b[0..m); appends ops with offsets added.
// Returns false when the edit distance exceeds kMaxEdits.
bool myers(const std::vector<int>& a, const std::vector<int>& b, size_t off, std::vector<Op>& out) {
  int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  int max = std::min(n + m, kMaxEdits);
  std::vector<int> v(2 * max + 3, 0);
  auto V = [&v, max](int k) -> int& { return v[k + max + 1]; };
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= max && found < 0; ++d) {
    trace.emplace_back(v.begin() + (max - d), v.begin() + max + d + 3);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && V(k - 1) < V(k + 1))) ? V(k + 1) : V(k - 1) + 1;
      int y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      V(k) = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return false;
  std::vector<Op> rev;
  int x = n, y = m;
  for (int d = found; d >= 0; --d) {
    const std::vector<int>& t = trace[d];
    auto T = [&t, d](int k) { return t[k + d + 1]; };
    int k = x - y;
    int prev_k = (k == -d || (k != d && T(k - 1) < T(k + 1))) ? k + 1 : k - 1;
    int px = d == 0 ? 0 : T(prev_k), py = d == 0 ? 0 : px - prev_k;
    while (x > px && y > py) {
      --x, --y;
      rev.push_back({Op::kEqual, off + x, off + y});
    }
    if (d == 0) break;
    if (x == px)
      rev.push_back({Op::kInsert, off + px, off + py});
    else
      rev.push_back({Op::kDelete, off + px, off + py});
    x = px, y = py;
  }
  out.insert(out.end(), rev.rbegin(), rev.rend());
  return true;
}

}  // namespace

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::vector<Op> diff_lines(const std::vector<std::string_view>& a,
                           const std::vector<std::string_view>& b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  std::vector<Op> ops;
  for (size_t i = 0; i < pre; ++i) ops.push_back({Op::kEqual, i, i});

  std::unordered_map<std::string_view, int> ids;
  std::vector<int> ia, ib;
  for (size_t i = pre; i < a.size() - suf; ++i)
    ia.push_back(ids.emplace(a[i], ids.size()).first->second);
  for (size_t i = pre; i < b.size() - suf; ++i)
    ib.push_back(ids.emplace(b[i], ids.size()).first->second);
  std::vector<Op> middle;
  if (!myers(ia, ib, 0, middle)) {
    middle.clear();
    for (size_t i = 0; i < ia.size(); ++i) middle.push_back({Op::kDelete, i, 0});
    for (size_t j = 0; j < ib.size(); ++j) middle.push_back({Op::kInsert, ia.size(), j});
  }
  for (Op op : middle) ops.push_back({op.kind, op.a + pre, op.b + pre});
  for (size_t i = 0; i < suf; ++i) {
    ops.push_back({Op::kEqual, a.size() - suf + i, b.size() - suf + i});
  }
  return ops;
}

std::vector<Hunk> make_hunks(const std::vector<Op>& ops, size_t context, bool split) {
  // Runs of changes: [first, last] op indexes.
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == Op::kEqual) continue;
    size_t j = i;
    while (j + 1 < ops.size() && ops[j + 1].kind != Op::kEqual) ++j;
    runs.push_back({i, j});
    i = j;
  }
  std::vector<Hunk> hunks;
  for (size_t r = 0; r < runs.size(); ++r) {
    size_t begin = runs[r].first >= context ? runs[r].first - context : 0;
    size_t last = runs[r].second;
    while (!split && r + 1 < runs.size() && runs[r + 1].first - last - 1 <= 2 * context) {
      last = runs[++r].second;
    }
    size_t end = std::min(ops.size(), last + 1 + context);
    if (split && r + 1 < runs.size()) end = std::min(end, runs[r + 1].first);
    if (split && !hunks.empty()) begin = std::max(begin, hunks.back().end);
    Hunk h{begin, end};
    for (size_t i = begin; i < end; ++i) {
      if (ops[i].kind != Op::kInsert) ++h.old_len;
      if (ops[i].kind != Op::kDelete) ++h.new_len;
    }
    h.old_start = ops[begin].a + (h.old_len > 0 ? 1 : 0);
    h.new_start = ops[begin].b + (h.new_len > 0 ? 1 : 0);
    hunks.push_back(h);
  }
  return hunks;
}

std::string format_hunk(const Hunk& h, const std::vector<Op>& ops,
                        const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b, bool colour) {
  std::string out = fmt::format("{}@@ -{},{} +{},{} @@{}\n", colour ? "\033[36m" : "", h.old_start,
                                h.old_len, h.new_start, h.new_len, colour ? "\033[0m" : "");
  for (size_t i = h.begin; i < h.end; ++i) {
    const Op& op = ops[i];
    std::string_view line = op.kind == Op::kInsert ? b[op.b] : a[op.a];
    bool no_newline = line.empty() || line.back() != '\n';
    if (!no_newline) line.remove_suffix(1);
    const char* c = !colour                  ? ""
                    : op.kind == Op::kDelete ? "\033[31m"
                    : op.kind == Op::kInsert ? "\033[32m"
                                             : "";
    out += c;
    out += static_cast<char>(op.kind);
    out += line;
    if (colour && *c) out += "\033[0m";
    out += '\n';
    if (no_newline) out += "\\ No newline at end of file\n";
  }
  return out;
}

std::string apply_hunks(const std::vector<Op>& ops, const std::vector<Hunk>& hunks,
                        const std::vector<bool>& accept, const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b) {
  std::vector<char> take_new(ops.size(), 0);
  for (size_t h = 0; h < hunks.size(); ++h) {
    if (!accept[h]) continue;
    for (size_t i = hunks[h].begin; i < hunks[h].end; ++i) take_new[i] = 1;
  }
  std::string out;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.kind == Op::kEqual)
      out += a[op.a];
    else if (op.kind == Op::kDelete && !take_new[i])
      out += a[op.a];
    else if (op.kind == Op::kInsert && take_new[i])
      out += b[op.b];
  }
  return out;
}

}  // namespace bbox::workspace
