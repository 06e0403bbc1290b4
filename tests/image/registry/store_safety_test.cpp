// The store under stress: a disk that fills during a pull, and two bbox
// processes pulling the same image at once.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "bbox/image/image.h"
#include "bbox/image/store.h"
#include "image/digest.h"
#include "image/process.h"
#include "image/support/image_test_helpers.h"
#include "image/support/local_registry.h"
#include "image/support/test_image_builder.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

std::string random_bytes(size_t n) {
  std::mt19937_64 rng(7);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Unmounts a tmpfs when the test ends.
struct TmpfsMount {
  fs::path dir;
  bool mounted = false;
  ~TmpfsMount() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

TEST(StoreSafety, DiskFullDuringAPullLeavesNoPartialBlob) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  TempDir work;
  auto reg = LocalRegistry::start(work.path());
  if (!reg.ok()) GTEST_SKIP() << reg.error().message;
  TestImage im = busybox_image(false);
  im.layers.push_back({make_tar({{"big", 'f', random_bytes(12 << 20)}})});
  write_oci_layout(work.path() / "oci", im, "1");
  ASSERT_TRUE((*reg)->push(work.path() / "oci", "1", "test/big:1").ok());

  PrivateStore store;
  TmpfsMount m{store.images().parent_path().parent_path()};
  // Safety: a tmpfs over the test's own private directory, detached at the end.
  ASSERT_EQ(::mount("tmpfs", m.dir.c_str(), "tmpfs", 0, "size=8m"), 0);
  m.mounted = true;

  auto r = resolve_image((*reg)->host() + "/test/big:1", PullPolicy::kAlways);
  ASSERT_FALSE(r.ok());
  std::string big = sha256_digest(im.layers.back().bytes);
  EXPECT_EQ(r.error().message, "store blob " + big + ": No space left on device");
  Store s(store.images());
  EXPECT_FALSE(s.has_blob(big));
  EXPECT_TRUE(fs::is_empty(store.images() / "tmp"));
  EXPECT_TRUE(s.list()->empty());
}

TEST(StoreSafety, TwoProcessesPullingTheSameImageShareOneRootImage) {
  fs::path bbox = fs::path(BBOX_BINARY_DIR) / "bbox";
  if (!fs::exists(bbox)) GTEST_SKIP() << "the bbox binary is not built";
  TempDir work;
  auto reg = LocalRegistry::start(work.path());
  if (!reg.ok()) GTEST_SKIP() << reg.error().message;
  std::string digest = write_oci_layout(work.path() / "oci", busybox_image(true), "1");
  ASSERT_TRUE((*reg)->push(work.path() / "oci", "1", "test/race:1").ok());

  PrivateStore store;
  std::string ref = (*reg)->host() + "/test/race:1";
  Result<std::string> a = Error{""}, b = Error{""};
  std::thread ta([&] { a = run_program({bbox.string(), "image", "pull", ref}); });
  std::thread tb([&] { b = run_program({bbox.string(), "image", "pull", ref}); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;

  fs::path root = store.images() / "roots" / (digest_hex(digest) + ".ext4");
  EXPECT_EQ(*a, digest + " " + root.string() + "\n");
  EXPECT_EQ(*b, *a);
  EXPECT_EQ(
      std::distance(fs::directory_iterator(store.images() / "roots"), fs::directory_iterator()), 1);
  EXPECT_EQ(Store(store.images()).list()->size(), 1u);
  EXPECT_EQ(debugfs(root, "cat /top.txt"), "top layer\n");
}

}  // namespace
}  // namespace bbox::image
