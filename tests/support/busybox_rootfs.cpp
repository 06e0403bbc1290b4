#include "bbox_test/busybox_rootfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "bbox/common/unique_fd.h"
#include "bbox_test/build_once.h"
#include "bbox_test/files.h"
#include "bbox_test/process.h"

namespace bbox::test_support {

namespace fs = std::filesystem;

namespace {

const char* kBusybox = "/bin/busybox";
const char* kToolPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr off_t kImageBytes = 64 << 20;

std::string describe(const RootfsSpec& spec) {
  std::ostringstream s;
  for (const auto& d : spec.dirs) s << "dir " << d << '\n';
  for (const auto& [p, text] : spec.files) s << "file " << p << ' ' << text.size() << '\n' << text;
  for (const auto& [p, to] : spec.symlinks) s << "link " << p << ' ' << to << '\n';
  for (const auto& [p, from] : spec.copies) s << "copy " << p << ' ' << from.string() << '\n';
  for (const auto& p : spec.programs) s << "program " << p.string() << '\n';
  return s.str();
}

// A link in bin/ for every applet the busybox in `tree` names.
Status link_applets(const fs::path& tree) {
  ProcessResult list = run_process({(tree / "bin/busybox").string(), "--list"});
  if (list.exit_code != 0) return Error{"list busybox applets: " + list.err};
  std::istringstream names(list.out);
  std::error_code ec;
  for (std::string name; std::getline(names, name);) {
    if (name.empty() || name == "busybox" || name.find('/') != std::string::npos) continue;
    fs::create_symlink("busybox", tree / "bin" / name, ec);
    if (ec) return Error{"link applet '" + name + "': " + ec.message()};
  }
  return ok_status();
}

// Copies `program` and the libraries ldd names for it to the same paths
// under `tree` (links followed, as cp -L).
Status copy_with_libraries(const fs::path& tree, const fs::path& program) {
  if (::access(program.c_str(), X_OK) != 0) return ok_status();
  ProcessResult ldd = run_process({"ldd", program.string()});
  std::vector<fs::path> files{program};
  std::istringstream words(ldd.out);
  for (std::string w; words >> w;) {
    if (w.starts_with('/')) files.emplace_back(w);
  }
  for (const fs::path& f : files) {
    std::error_code ec;
    fs::create_directories(tree / f.relative_path().parent_path(), ec);
    fs::copy_file(f, tree / f.relative_path(), fs::copy_options::overwrite_existing, ec);
    if (ec) return Error{"copy '" + f.string() + "': " + ec.message()};
  }
  return ok_status();
}

Status fill_tree(const fs::path& tree, const RootfsSpec& spec) {
  std::error_code ec;
  fs::create_directories(tree / "bin", ec);
  for (const auto& d : spec.dirs) fs::create_directories(tree / d, ec);
  fs::copy_file(kBusybox, tree / "bin/busybox", ec);
  if (ec) return Error{"copy '" + std::string(kBusybox) + "': " + ec.message()};
  for (const auto& [p, text] : spec.files) write_file(tree / p, text);
  for (const auto& [p, to] : spec.symlinks) {
    fs::create_directories((tree / p).parent_path(), ec);
    fs::create_symlink(to, tree / p, ec);
    if (ec) return Error{"link '" + p + "': " + ec.message()};
  }
  for (const auto& [p, from] : spec.copies) {
    fs::create_directories((tree / p).parent_path(), ec);
    fs::copy_file(from, tree / p, fs::copy_options::overwrite_existing, ec);
    if (ec) return Error{"copy '" + from.string() + "': " + ec.message()};
  }
  for (const auto& program : spec.programs) {
    if (Status s = copy_with_libraries(tree, program); !s) return s;
  }
  return link_applets(tree);
}

Status run_tool(const std::vector<std::string>& argv) {
  ProcessResult r = run_process(argv, {.env = {{"PATH", kToolPath}}});
  if (r.exit_code == 0) return ok_status();
  if (r.exit_code == 127) return Error{argv[0] + " is not installed"};
  return Error{argv[0] + " failed: " + r.err};
}

}  // namespace

std::string busybox_unavailable_reason() {
  // Debian's busybox-static has no ELF interpreter; the dynamic busybox
  // would not run in a root file system without a C library.
  std::string data = read_file(kBusybox);
  if (data.empty() || data.find("/lib64/ld-linux") != std::string::npos) {
    return "needs Debian's busybox-static at /bin/busybox";
  }
  return "";
}

Result<fs::path> busybox_rootfs(const fs::path& dir, const RootfsSpec& spec) {
  if (std::string why = busybox_unavailable_reason(); !why.empty()) return Error{why};
  Status s =
      build_once(dir, describe(spec), [&](const fs::path& tmp) { return fill_tree(tmp, spec); });
  if (!s) return s.error().wrap("build the busybox root '" + dir.string() + "'");
  return dir;
}

Result<fs::path> ext4_image(const fs::path& tree, const fs::path& image) {
  std::string recipe = "ext4 64M " + tree.string() + '\n' + read_file(tree.string() + ".recipe");
  Status s = build_once(image, recipe, [&](const fs::path& tmp) {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid() || ::ftruncate(fd.get(), kImageBytes) != 0) {
      return Status(errno_error("create '" + tmp.string() + "'", errno));
    }
    fd.reset();
    ::chmod(tmp.c_str(), 0644);
    return run_tool({"mkfs.ext4", "-q", "-F", "-d", tree.string(), tmp.string()});
  });
  if (!s) return s.error().wrap("make the ext4 image '" + image.string() + "'");
  return image;
}

Result<fs::path> erofs_image(const fs::path& tree, const fs::path& image) {
  std::string recipe = "erofs " + tree.string() + '\n' + read_file(tree.string() + ".recipe");
  Status s = build_once(image, recipe, [&](const fs::path& tmp) {
    return run_tool({"mkfs.erofs", "--quiet", tmp.string(), tree.string()});
  });
  if (!s) return s.error().wrap("make the erofs image '" + image.string() + "'");
  return image;
}

}  // namespace bbox::test_support
