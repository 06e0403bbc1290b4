// bbox image ls|pull|inspect|rm through the real binary, on an oci: layout.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "image/process.h"
#include "image/support/image_test_helpers.h"
#include "image/support/test_image_builder.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

TEST(ImageCommand, PullListInspectAndRemove) {
  fs::path bbox = fs::path(BBOX_BINARY_DIR) / "bbox";
  if (!fs::exists(bbox)) GTEST_SKIP() << "the bbox binary is not built";
  PrivateStore store;
  TempDir work;
  std::string digest = write_oci_layout(work.path() / "oci", busybox_image(false), "v1");
  std::string ref = "oci:" + (work.path() / "oci").string() + ":v1";

  auto pulled = run_program({bbox.string(), "image", "pull", ref});
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->substr(0, digest.size()), digest);

  auto ls = run_program({bbox.string(), "image", "ls"});
  ASSERT_TRUE(ls.ok()) << ls.error().message;
  EXPECT_NE(ls->find(ref), std::string::npos) << *ls;
  EXPECT_NE(ls->find(digest.substr(7, 12)), std::string::npos) << *ls;
  EXPECT_NE(ls->find("just now"), std::string::npos) << *ls;

  auto inspect = run_program({bbox.string(), "image", "inspect", digest.substr(7, 12)});
  ASSERT_TRUE(inspect.ok()) << inspect.error().message;
  auto doc = nlohmann::json::parse(*inspect);
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["digest"], digest);
  EXPECT_EQ(doc[0]["config"]["WorkingDir"], "/home/user");
  EXPECT_EQ(doc[0]["config"]["Cmd"], nlohmann::json::array({"/bin/sh"}));

  auto rm = run_program({bbox.string(), "image", "rm", ref});
  ASSERT_TRUE(rm.ok()) << rm.error().message;
  EXPECT_EQ(*rm, "removed " + ref + " " + digest + "\n");
  EXPECT_TRUE(fs::is_empty(store.images() / "roots"));
  EXPECT_TRUE(fs::is_empty(store.images() / "blobs/sha256"));

  auto again = run_program({bbox.string(), "image", "rm", ref});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("exited with status 1"), std::string::npos);
}

}  // namespace
}  // namespace bbox::image
