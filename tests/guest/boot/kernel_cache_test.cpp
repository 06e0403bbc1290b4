// ensure_kernel against Debian's real mirror, into a private cache.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "bbox/vm/initramfs.h"
#include "bbox/vm/kernel.h"
#include "bbox_test/scoped_env.h"
#include "bbox_test/temp_dir.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

class PrivateCache : public ::testing::Test {
 protected:
  test_support::TempDir tmp_{"bbox-kernel-test", "/tmp"};
  fs::path dir_ = tmp_.path();
  test_support::ScopedEnv cache_env_{"XDG_CACHE_HOME", dir_.string()};
};

std::vector<std::string> names(const Kernel& k) {
  std::vector<std::string> out;
  for (const auto& m : k.modules) out.push_back(m.stem().string());
  return out;
}

size_t index_of(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

TEST_F(PrivateCache, FetchesTheCloudKernelOnceWithModulesInDependencyOrder) {
  if (std::system("command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null") != 0) {
    GTEST_SKIP() << "needs apt-get and dpkg-deb";
  }
  auto k = ensure_kernel(std::nullopt);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->vmlinuz, dir_ / "broodbox/kernel" / k->version / "vmlinuz");
  EXPECT_GT(fs::file_size(k->vmlinuz), 4u << 20);
  auto n = names(*k);
  for (const char* m : {"virtio_ring", "virtio", "virtio_mmio", "virtio_blk", "virtio_net",
                        "virtio_console", "fuse", "virtiofs", "overlay", "libcrc32c", "erofs"}) {
    EXPECT_LT(index_of(n, m), n.size()) << m;
  }
  EXPECT_LT(index_of(n, "virtio_ring"), index_of(n, "virtio"));
  EXPECT_LT(index_of(n, "virtio"), index_of(n, "virtio_mmio"));
  EXPECT_LT(index_of(n, "net_failover"), index_of(n, "virtio_net"));
  EXPECT_LT(index_of(n, "fuse"), index_of(n, "virtiofs"));
  EXPECT_LT(index_of(n, "libcrc32c"), index_of(n, "erofs"));

  // The second call uses the cache: same files, untouched.
  struct stat before {
  }, after{};
  ASSERT_EQ(::stat(k->vmlinuz.c_str(), &before), 0);
  auto again = ensure_kernel(std::nullopt);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(::stat(again->vmlinuz.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  EXPECT_EQ(again->modules, k->modules);
  // No temporary folders are left behind.
  for (const auto& e : fs::directory_iterator(dir_ / "broodbox/kernel")) {
    EXPECT_NE(e.path().filename().string().substr(0, 5), ".tmp-") << e.path();
  }

  // The initramfs is named by its content: the same inputs give the same file.
  auto a = ensure_initramfs(*k, BBOX_INIT_PATH);
  auto b = ensure_initramfs(*k, BBOX_INIT_PATH);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->parent_path(), dir_ / "broodbox/initramfs");
  EXPECT_EQ(a->filename().string().size(), 64u + 5u);  // <sha256>.cpio
}

TEST_F(PrivateCache, WithoutAptSaysToPassAKernel) {
  std::string old_path = std::getenv("PATH");
  ::setenv("PATH", "/nonexistent", 1);
  auto k = ensure_kernel(std::nullopt);
  ::setenv("PATH", old_path.c_str(), 1);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message,
            "find the guest kernel: run 'apt-cache': No such file or directory; install "
            "Debian's apt, or pass --kernel PATH with a kernel whose virtio drivers "
            "(virtio_mmio, virtio_blk, virtio_console, virtiofs, overlay) are built in");
}

TEST_F(PrivateCache, WithoutAptUsesTheNewestCachedKernel) {
  for (const char* v : {"6.1.0-9-cloud-amd64", "6.1.0-57-cloud-amd64", "6.1.0-10-cloud-amd64"}) {
    fs::path d = dir_ / "broodbox/kernel" / v;
    fs::create_directories(d / "modules");
    std::ofstream(d / "vmlinuz") << "x";
    std::ofstream(d / "modules.load") << "virtio.ko\n";
  }
  std::string old_path = std::getenv("PATH");
  ::setenv("PATH", "/nonexistent", 1);
  auto k = ensure_kernel(std::nullopt);
  ::setenv("PATH", old_path.c_str(), 1);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->version, "6.1.0-57-cloud-amd64");
  EXPECT_EQ(k->modules,
            std::vector<fs::path>{dir_ / "broodbox/kernel/6.1.0-57-cloud-amd64/modules/virtio.ko"});
}

TEST_F(PrivateCache, OverrideKernelWithoutCachedModulesIsUsedAsIs) {
  fs::path fake = dir_ / "bzImage";
  std::string img(0x400, '\0');
  img.replace(0x202, 4, "HdrS");
  img[0x20e] = 0x00;  // version string at 0x200 + 0x100
  img[0x20f] = 0x01;
  img.replace(0x300, 20, "9.9.9-test (x@y) #1");
  FILE* f = std::fopen(fake.c_str(), "wb");
  std::fwrite(img.data(), 1, img.size(), f);
  std::fclose(f);
  auto k = ensure_kernel(fake);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->vmlinuz, fake);
  EXPECT_EQ(k->version, "9.9.9-test");
  EXPECT_TRUE(k->modules.empty());
  EXPECT_FALSE(ensure_kernel(dir_ / "missing").ok());
}

}  // namespace
}  // namespace bbox::vm
