#include "workspace/patch.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <vector>

#include "workspace/fsutil.h"
#include "workspace/hash.h"
#include "workspace/linediff.h"

namespace bbox::workspace {
namespace {

const char kB85[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

std::string git_mode(const Side& s) {
  if (s.type == EntryType::kSymlink) return "120000";
  return (s.mode & 0111) ? "100755" : "100644";
}

UniqueFd open_regular(int root, const std::string& path) {
  // Safety: no symlinks in any component, O_NONBLOCK against FIFOs; the
  // fstat check below refuses anything but a regular file.
  UniqueFd fd(open_beneath(root, path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return UniqueFd();
  return fd;
}

// Emits base85 lines of up to 52 bytes each.
void emit_b85(const unsigned char* p, size_t n, const Sink& sink) {
  std::string line;
  line += n <= 26 ? static_cast<char>('A' + n - 1) : static_cast<char>('a' + n - 27);
  for (size_t i = 0; i < n; i += 4) {
    uint32_t acc = 0;
    for (size_t k = 0; k < 4; ++k) acc = (acc << 8) | (i + k < n ? p[i + k] : 0);
    char group[5];
    for (int k = 4; k >= 0; --k) {
      group[k] = kB85[acc % 85];
      acc /= 85;
    }
    line.append(group, 5);
  }
  line += '\n';
  sink(line);
}

// "literal <size>" and the deflated contents of fd (or nothing), base85.
Status emit_literal(int fd, uint64_t size, const Sink& sink) {
  sink(fmt::format("literal {}\n", size));
  z_stream z{};
  deflateInit(&z, Z_BEST_COMPRESSION);
  std::vector<unsigned char> in(1 << 16), out(1 << 16);
  std::vector<unsigned char> pending;
  off_t off = 0;
  int flush = Z_NO_FLUSH;
  do {
    ssize_t n = fd >= 0 ? ::pread(fd, in.data(), in.size(), off) : 0;
    if (n < 0) {
      deflateEnd(&z);
      return errno_error("read", errno);
    }
    off += n;
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      deflate(&z, flush);
      pending.insert(pending.end(), out.data(), out.data() + (out.size() - z.avail_out));
      size_t used = 0;
      while (pending.size() - used >= 52) {
        emit_b85(pending.data() + used, 52, sink);
        used += 52;
      }
      pending.erase(pending.begin(), pending.begin() + used);
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&z);
  if (!pending.empty()) emit_b85(pending.data(), pending.size(), sink);
  sink("\n");
  return ok_status();
}

uint64_t size_of(int fd) {
  struct stat st {};
  return fd >= 0 && ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string blob_id(int root, const Side& s, const std::string& path) {
  if (s.type == EntryType::kNone) return std::string(40, '0');
  if (s.type == EntryType::kSymlink) return git_blob_id(s.target);
  UniqueFd fd = open_regular(root, path);
  if (!fd) return std::string(40, '0');
  auto id = git_blob_id_fd(fd.get());
  return id ? *id : std::string(40, '0');
}

// Content of one side for a line diff, or nullopt when binary/too large.
std::optional<std::string> text_of(int root, const Side& s, const std::string& path,
                                   uint64_t limit) {
  if (s.type == EntryType::kNone) return std::string();
  if (s.type == EntryType::kSymlink) return s.target;
  return read_text_beneath(root, path, limit);
}

void write_header(const Change& c, const Side& before, const Side& after, const Trees& t,
                  const PatchOptions& o, const Sink& sink) {
  std::string a = git_quote("a/" + c.path), b = git_quote("b/" + c.path);
  sink(fmt::format("{}diff --git {} {}{}\n", o.colour ? "\033[1m" : "", a, b,
                   o.colour ? "\033[0m" : ""));
  if (before.type == EntryType::kNone) sink("new file mode " + git_mode(after) + "\n");
  if (after.type == EntryType::kNone) sink("deleted file mode " + git_mode(before) + "\n");
  bool both = before.type != EntryType::kNone && after.type != EntryType::kNone;
  if (both && git_mode(before) != git_mode(after)) {
    sink("old mode " + git_mode(before) + "\nnew mode " + git_mode(after) + "\n");
  }
  // Full object ids only where git apply needs them: in patches with data.
  if (o.binary_data &&
      (before.type == EntryType::kNone || after.type == EntryType::kNone || c.content_changed)) {
    std::string tail = both && git_mode(before) == git_mode(after) ? " " + git_mode(after) : "";
    sink("index " + blob_id(t.workspace.get(), before, c.path) + ".." +
         blob_id(t.snapshot.get(), after, c.path) + tail + "\n");
  }
}

// One "diff --git" section from `before` to `after` of the same path.
Status write_section(const Change& c, const Side& before, const Side& after, const Trees& t,
                     const PatchOptions& o, const Sink& sink) {
  write_header(c, before, after, t, o, sink);
  bool has_content =
      before.type == EntryType::kNone || after.type == EntryType::kNone || c.content_changed;
  if (!has_content) return ok_status();
  std::string a = before.type == EntryType::kNone ? "/dev/null" : git_quote("a/" + c.path);
  std::string b = after.type == EntryType::kNone ? "/dev/null" : git_quote("b/" + c.path);
  auto old_text = text_of(t.workspace.get(), before, c.path, o.max_text);
  auto new_text = text_of(t.snapshot.get(), after, c.path, o.max_text);
  if (!old_text || !new_text) {
    if (!o.binary_data) {
      sink(fmt::format("Binary files {} and {} differ\n", a, b));
      return ok_status();
    }
    sink("GIT binary patch\n");
    UniqueFd nf =
        after.type == EntryType::kFile ? open_regular(t.snapshot.get(), c.path) : UniqueFd();
    UniqueFd of =
        before.type == EntryType::kFile ? open_regular(t.workspace.get(), c.path) : UniqueFd();
    if (auto st = emit_literal(nf.get(), size_of(nf.get()), sink); !st) return st;
    return emit_literal(of.get(), size_of(of.get()), sink);
  }
  if (*old_text == *new_text) return ok_status();
  sink(fmt::format("--- {}\n+++ {}\n", a, b));
  auto la = split_lines(*old_text), lb = split_lines(*new_text);
  auto ops = diff_lines(la, lb);
  for (const Hunk& h : make_hunks(ops, 3)) sink(format_hunk(h, ops, la, lb, o.colour));
  return ok_status();
}

}  // namespace

std::string git_quote(std::string_view p) {
  bool needs = false;
  for (unsigned char ch : p) {
    if (ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x7F) needs = true;
  }
  if (!needs) return std::string(p);
  std::string out = "\"";
  for (unsigned char ch : p) {
    switch (ch) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (ch < 0x20 || ch >= 0x7F)
          out += fmt::format("\\{:03o}", ch);
        else
          out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

std::optional<std::string> read_text_beneath(int root, const std::string& path, uint64_t limit) {
  UniqueFd fd = open_regular(root, path);
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || static_cast<uint64_t>(st.st_size) > limit) {
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::pread(fd.get(), text.data() + got, text.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  if (text.find('\0') < 8000) return std::nullopt;
  return text;
}

Status write_patch(const Change& c, const Trees& trees, const PatchOptions& opts,
                   const Sink& sink) {
  if (c.before.type == EntryType::kDir || c.after.type == EntryType::kDir) {
    if (c.kind != ChangeKind::kTypeChanged) return ok_status();
    // dir <-> file/link: only the non-directory side has a patch form.
    Side none;
    if (c.before.type == EntryType::kDir) return write_section(c, none, c.after, trees, opts, sink);
    return write_section(c, c.before, none, trees, opts, sink);
  }
  if (c.kind == ChangeKind::kTypeChanged) {
    Side none;
    if (auto st = write_section(c, c.before, none, trees, opts, sink); !st) return st;
    return write_section(c, none, c.after, trees, opts, sink);
  }
  return write_section(c, c.before, c.after, trees, opts, sink);
}

}  // namespace bbox::workspace
