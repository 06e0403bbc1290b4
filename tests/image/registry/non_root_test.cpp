// The same pull by a normal user: bbox unpacks and builds the root image in a
// user namespace over the user's subordinate ids, so the guest still sees
// root-owned system files.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "image/digest.h"
#include "image/process.h"
#include "image/support/image_test_helpers.h"
#include "image/support/local_registry.h"
#include "image/support/test_image_builder.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

constexpr const char* kUser = "bbox-image-test";

bool has_line_for(const char* file, const std::string& user) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(user + ":", 0) == 0) return true;
  }
  return false;
}

// Creates the account and its subordinate ranges once; returns its uid.
Result<uid_t> ensure_test_user() {
  if (::getpwnam(kUser) == nullptr) {
    auto r = run_program({"useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", kUser});
    if (!r) return r.error();
  }
  for (const char* f : {"/etc/subuid", "/etc/subgid"}) {
    if (!has_line_for(f, kUser)) std::ofstream(f, std::ios::app) << kUser << ":400000:65536\n";
  }
  const passwd* pw = ::getpwnam(kUser);
  if (pw == nullptr) return Error{"no user after useradd"};
  return pw->pw_uid;
}

TEST(PullAsNormalUser, RootImageKeepsTheLayersOwners) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create the test account";
  fs::path bbox = fs::path(BBOX_BINARY_DIR) / "bbox";
  if (!fs::exists(bbox)) GTEST_SKIP() << "the bbox binary is not built";
  auto uid = ensure_test_user();
  ASSERT_TRUE(uid.ok()) << uid.error().message;

  TempDir work;
  auto reg = LocalRegistry::start(work.path());
  if (!reg.ok()) GTEST_SKIP() << reg.error().message;
  std::string digest = write_oci_layout(work.path() / "oci", busybox_image(true), "1");
  ASSERT_TRUE((*reg)->push(work.path() / "oci", "1", "test/user:1").ok());
  fs::path home = work.path() / "home";
  fs::create_directories(home);
  ASSERT_EQ(::chmod(work.path().c_str(), 0755), 0);
  ASSERT_EQ(::chown(home.c_str(), *uid, *uid), 0);

  auto out = run_program({"runuser", "-u", kUser, "--", "env", "HOME=" + home.string(),
                          "XDG_DATA_HOME=" + (home / "data").string(), bbox.string(), "image",
                          "pull", "docker://" + (*reg)->host() + "/test/user:1"});
  ASSERT_TRUE(out.ok()) << out.error().message;

  fs::path images = home / "data/broodbox/images";
  fs::path root = images / "roots" / (digest_hex(digest) + ".ext4");
  ASSERT_TRUE(fs::exists(root)) << *out;
  struct stat st;
  ASSERT_EQ(::stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, *uid);
  InodeInfo passwd = stat_in_image(root, "/etc/passwd");
  EXPECT_EQ(passwd.uid, 0);
  EXPECT_EQ(passwd.gid, 0);
  EXPECT_EQ(stat_in_image(root, "/bin/busybox").uid, 0);
  EXPECT_EQ(stat_in_image(root, "/home/user").uid, 1000);
  EXPECT_EQ(debugfs(root, "cat /top.txt"), "top layer\n");
  EXPECT_TRUE(fs::is_empty(images / "tmp"));  // the unpacked tree went away in the namespace
}

}  // namespace
}  // namespace bbox::image
