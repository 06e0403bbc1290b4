#include "workspace/manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "workspace/fsutil.h"

namespace bbox::workspace {
namespace {

std::string format_entry(const ManifestEntry& e) {
  std::ostringstream out;
  out << static_cast<char>(e.type) << ' ' << e.mode << ' ' << e.host.dev << ' ' << e.host.ino << ' '
      << e.host.size << ' ' << e.host.ctime_ns << ' ' << e.copy.dev << ' ' << e.copy.ino << ' '
      << e.copy.size << ' ' << e.copy.ctime_ns << ' '
      << (e.target.empty() ? "-" : hex_encode(e.target)) << ' ' << hex_encode(e.path);
  return out.str();
}

bool parse_entry(std::istringstream& in, ManifestEntry& e) {
  char type = 0;
  std::string target, path;
  in >> type >> e.mode >> e.host.dev >> e.host.ino >> e.host.size >> e.host.ctime_ns >>
      e.copy.dev >> e.copy.ino >> e.copy.size >> e.copy.ctime_ns >> target >> path;
  if (!in) return false;
  e.type = static_cast<EntryType>(type);
  e.target = target == "-" ? "" : hex_decode(target);
  e.path = hex_decode(path);
  return true;
}

}  // namespace

Identity Identity::of(const struct stat& st) {
  return Identity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                  static_cast<uint64_t>(st.st_size), workspace::ctime_ns(st)};
}

Result<Manifest> Manifest::load(const std::filesystem::path& session_dir) {
  Manifest m;
  std::ifstream in(session_dir / "manifest");
  if (!in) return Error{"read '" + (session_dir / "manifest").string() + "': missing"};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    ManifestEntry e;
    if (!parse_entry(ls, e)) return Error{"read manifest: malformed line"};
    m.entries[e.path] = std::move(e);
  }
  std::ifstream journal(session_dir / "journal");
  while (std::getline(journal, line)) {
    std::istringstream ls(line);
    std::string op;
    ls >> op;
    if (op == "U") {
      ManifestEntry e;
      // A line cut short by a crash is the last one; it is simply dropped.
      if (parse_entry(ls, e)) m.entries[e.path] = std::move(e);
    } else if (op == "D") {
      std::string path;
      if (ls >> path) m.entries.erase(hex_decode(path));
    }
  }
  return m;
}

Status Manifest::save(const std::filesystem::path& session_dir) const {
  auto tmp = session_dir / "manifest.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [path, e] : entries) out << format_entry(e) << '\n';
    out.flush();
    if (!out) return Error{"write manifest: " + tmp.string()};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, session_dir / "manifest", ec);
  if (ec) return Error{"write manifest: " + ec.message()};
  std::filesystem::remove(session_dir / "journal", ec);
  return ok_status();
}

Result<Journal> Journal::open(const std::filesystem::path& session_dir) {
  Journal j;
  auto path = (session_dir / "journal").string();
  j.fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!j.fd_) return errno_error("open journal", errno);
  return j;
}

Status Journal::update(const ManifestEntry& e) {
  std::string line = "U " + format_entry(e) + "\n";
  if (!write_all(fd_.get(), line.data(), line.size())) return errno_error("write journal", errno);
  return ok_status();
}

Status Journal::remove(const std::string& path) {
  std::string line = "D " + hex_encode(path) + "\n";
  if (!write_all(fd_.get(), line.data(), line.size())) return errno_error("write journal", errno);
  return ok_status();
}

Status Journal::sync() {
  if (::fdatasync(fd_.get()) != 0) return errno_error("sync journal", errno);
  return ok_status();
}

}  // namespace bbox::workspace
