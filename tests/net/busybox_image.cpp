#include "busybox_image.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace bbox::net::test {

namespace fs = std::filesystem;

namespace {
int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }
}  // namespace

fs::path busybox_image(const fs::path& dir, const std::map<fs::path, fs::path>& extra) {
  if (!fs::exists("/bin/busybox") || sh("PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4") != 0) {
    return {};
  }
  fs::path tree = dir / "rootfs", image = dir / "root.ext4";
  fs::create_directories(tree / "bin");
  fs::create_directories(tree / "etc");
  fs::create_directories(tree / "tmp");
  fs::copy_file("/bin/busybox", tree / "bin/busybox", fs::copy_options::overwrite_existing);
  if (sh("cd " + tree.string() +
         "/bin && for n in $(./busybox --list); do "
         "[ $n = busybox ] || ln -sf busybox $n; done") != 0) {
    return {};
  }
  for (const auto& [from, to] : extra) {
    fs::create_directories(tree / to.relative_path().parent_path());
    fs::copy_file(from, tree / to.relative_path(), fs::copy_options::overwrite_existing);
  }
  std::ofstream(tree / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                     << "sandbox:x:1000:1000::/tmp:/bin/sh\n";
  std::ofstream(tree / "etc/group") << "root:x:0:\nsandbox:x:1000:\n";
  if (sh("PATH=$PATH:/sbin:/usr/sbin; truncate -s 64M " + image.string() +
         " && mkfs.ext4 -q -F -d " + tree.string() + " " + image.string()) != 0) {
    return {};
  }
  return image;
}

}  // namespace bbox::net::test
