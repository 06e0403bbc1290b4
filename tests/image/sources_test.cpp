#include <gtest/gtest.h>

#include <ctime>
#include <fstream>

#include "bbox/image/image.h"
#include "bbox/image/store.h"
#include "image/digest.h"
#include "image/process.h"
#include "image/sources.h"
#include "image/support/image_test_helpers.h"
#include "image/support/test_image_builder.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

TEST(ParseSource, NamesTransportsTheWaySkopeoDoes) {
  auto d = parse_source("alpine");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->canonical(), "docker://docker.io/library/alpine:latest");
  EXPECT_EQ(d->registry.api_host(), "registry-1.docker.io");
  auto p = parse_source("docker://localhost:5000/a/b@sha256:" + std::string(64, 'a'));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->registry.registry, "localhost:5000");
  EXPECT_EQ(p->registry.repository, "a/b");
  EXPECT_EQ(p->registry.tag, "");
  auto o = parse_source("oci:/srv/layout:claude-code");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->transport, Transport::kOci);
  EXPECT_EQ(o->path, "/srv/layout");
  EXPECT_EQ(o->tag, "claude-code");
  EXPECT_EQ(parse_source("docker-archive:/x.tar")->transport, Transport::kDockerArchive);
  EXPECT_EQ(parse_source("oci-archive:/x.tar")->transport, Transport::kOciArchive);
  EXPECT_FALSE(parse_source("docker://Bad/Name").ok());
  EXPECT_FALSE(parse_source("ghcr.io/a/b@sha256:short").ok());
}

class LocalSources : public ::testing::Test {
 protected:
  PrivateStore store_;
  TempDir work_;
};

TEST_F(LocalSources, OciLayoutByTagPicksAmd64) {
  std::string digest = write_oci_layout(work_.path() / "oci", busybox_image(true), "v1");
  auto r = resolve_image("oci:" + (work_.path() / "oci").string() + ":v1", PullPolicy::kNever);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->digest, digest);
  EXPECT_EQ(debugfs(r->root_image, "cat /top.txt"), "top layer\n");
  EXPECT_FALSE(stat_in_image(r->root_image, "/etc/old.txt").found);
  EXPECT_EQ(r->config.working_dir, "/home/user");
}

TEST_F(LocalSources, OciLayoutWithAnUnknownTagListsTheTags) {
  write_oci_layout(work_.path() / "oci", busybox_image(false), "v1");
  std::string dir = (work_.path() / "oci").string();
  auto r = resolve_image("oci:" + dir + ":v2", PullPolicy::kIfNotPresent);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "pick image in " + dir + ": no tag v2 (it holds: v1)");
}

TEST_F(LocalSources, OciLayoutRebuiltUnderTheSameTagIsPickedUp) {
  fs::path dir = work_.path() / "oci";
  std::string first = write_oci_layout(dir, busybox_image(false), "v1");
  ASSERT_TRUE(resolve_image("oci:" + dir.string() + ":v1", PullPolicy::kIfNotPresent).ok());
  TestImage changed = busybox_image(false);
  changed.layers.push_back({make_tar({{"top.txt", 'f', "rebuilt\n"}})});
  std::string second = write_oci_layout(dir, changed, "v1");
  auto r = resolve_image("oci:" + dir.string() + ":v1", PullPolicy::kIfNotPresent);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(first, second);
  EXPECT_EQ(r->digest, second);
  EXPECT_EQ(debugfs(r->root_image, "cat /top.txt"), "rebuilt\n");
}

TEST_F(LocalSources, OciLayoutWithATamperedBlobIsRefused) {
  fs::path dir = work_.path() / "oci";
  TestImage im = busybox_image(false);
  write_oci_layout(dir, im, "v1");
  std::string layer = sha256_digest(im.layers[1].bytes);
  std::ofstream(dir / "blobs/sha256" / digest_hex(layer), std::ios::binary) << "tampered";
  auto r = resolve_image("oci:" + dir.string() + ":v1", PullPolicy::kIfNotPresent);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("verify blob " + layer), std::string::npos);
  EXPECT_FALSE(Store(store_.images()).has_blob(layer));
  EXPECT_TRUE(fs::is_empty(store_.images() / "roots"));
}

TEST_F(LocalSources, OciArchiveImportsTheLayoutInside) {
  std::string digest = write_oci_layout(work_.path() / "oci", busybox_image(false), "v1");
  fs::path tar = work_.path() / "image.tar";
  ASSERT_TRUE(
      run_program({"tar", "-C", (work_.path() / "oci").string(), "-cf", tar.string(), "."}).ok());
  auto r = resolve_image("oci-archive:" + tar.string(), PullPolicy::kIfNotPresent);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->digest, digest);
  auto tagged = resolve_image("oci-archive:" + tar.string() + ":v1", PullPolicy::kIfNotPresent);
  ASSERT_TRUE(tagged.ok()) << tagged.error().message;
  EXPECT_EQ(tagged->digest, digest);
  EXPECT_EQ(debugfs(r->root_image, "cat /etc/motd"), "zstd layer\n");
}

TEST_F(LocalSources, DockerArchiveAsDockerSaveWritesIt) {
  fs::path d = work_.path() / "save";
  TestImage im = busybox_image(false);
  write_file(d / "l1/layer.tar", make_tar({{"etc/old.txt", 'f', "old\n"}}, Compression::kNone));
  write_file(d / "l2/layer.tar", make_tar({{"etc/.wh.old.txt", 'f'}, {"top.txt", 'f', "docker\n"}},
                                          Compression::kNone));
  write_file(d / "abc.json", R"({"os":"linux","config":{"Env":["A=1"],"User":"1000:1000"}})");
  write_file(
      d / "manifest.json",
      R"([{"Config":"abc.json","RepoTags":["x:1"],"Layers":["l1/layer.tar","l2/layer.tar"]}])");
  fs::path tar = work_.path() / "save.tar";
  ASSERT_TRUE(run_program({"tar", "-C", d.string(), "-cf", tar.string(), "."}).ok());

  auto r = resolve_image("docker-archive:" + tar.string(), PullPolicy::kIfNotPresent);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(debugfs(r->root_image, "cat /top.txt"), "docker\n");
  EXPECT_FALSE(stat_in_image(r->root_image, "/etc/old.txt").found);
  EXPECT_EQ(r->config.env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(r->config.user, "1000:1000");
}

TEST_F(LocalSources, RemoveKeepsBlobsAnotherImageShares) {
  TestImage a = busybox_image(false), b = busybox_image(false);
  b.layers.back() = {make_tar({{"only-b", 'f', "b"}})};
  write_oci_layout(work_.path() / "a", a, "1");
  write_oci_layout(work_.path() / "b", b, "1");
  auto ra = resolve_image("oci:" + (work_.path() / "a").string() + ":1", PullPolicy::kNever);
  auto rb = resolve_image("oci:" + (work_.path() / "b").string() + ":1", PullPolicy::kNever);
  ASSERT_TRUE(ra.ok() && rb.ok());

  Store store(store_.images());
  auto removed = store.remove(rb->digest);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_TRUE(store.has_blob(sha256_digest(a.layers[0].bytes)));       // shared
  EXPECT_FALSE(store.has_blob(sha256_digest(b.layers.back().bytes)));  // b's own
  EXPECT_TRUE(fs::exists(ra->root_image));
  EXPECT_FALSE(fs::exists(rb->root_image));
  EXPECT_EQ(store.list()->size(), 1u);
  EXPECT_FALSE(store.remove(rb->digest).ok());
}

TEST_F(LocalSources, PruneRemovesOnlyImagesUnusedForTheGivenDays) {
  write_oci_layout(work_.path() / "a", busybox_image(false), "1");
  auto r = resolve_image("oci:" + (work_.path() / "a").string() + ":1", PullPolicy::kNever);
  ASSERT_TRUE(r.ok());
  Store store(store_.images());
  StoredImage old = (*store.list())[0];
  old.reference = "docker://example.invalid/old:1";
  old.digest = sha256_digest("old");
  old.blobs.clear();
  old.created = old.last_used = std::time(nullptr) - 10 * 86400;
  ASSERT_TRUE(store.record(old).ok());

  auto pruned = store.prune(7);
  ASSERT_TRUE(pruned.ok());
  ASSERT_EQ(pruned->size(), 1u);
  EXPECT_EQ((*pruned)[0].reference, old.reference);
  ASSERT_EQ(store.list()->size(), 1u);
  EXPECT_TRUE(fs::exists(r->root_image));
}

}  // namespace
}  // namespace bbox::image
