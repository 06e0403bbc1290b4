#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <memory>

#include "image/build_steps.h"
#include "test_util.h"

namespace bbox::image::build {
namespace {

// A package tarball the way npm makes one: `npm pack` of a local folder
// (no network, no scripts).
fs::path pack_fixture(const fs::path& dir) {
  write_text(dir / "src" / "package.json",
             R"({"name":"fixture-pkg","version":"1.2.3","bin":{"fx":"bin/fx.js"}})");
  write_text(dir / "src" / "bin" / "fx.js", "#!/usr/bin/env node\nconsole.log('fx')\n");
  fs::permissions(dir / "src" / "bin" / "fx.js", fs::perms(0775));
  write_text(dir / "src" / "lib" / "a.txt", "alpha\n");
  fs::create_directories(dir / "out");
  auto t = npm_pack((dir / "src").string(), dir / "out", {});
  EXPECT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->name, "fixture-pkg");
  EXPECT_EQ(t->version, "1.2.3");
  return t->file;
}

TEST(LayerWriter, WritesRootOwnedEntriesWithParentsAndFixedTimes) {
  TestDir dir;
  auto w = LayerWriter::create(dir.path() / "l.tar");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->add_file("usr/local/bin/tool", "#!/bin/sh\n", 0755).ok());
  ASSERT_TRUE(w->add_symlink("usr/local/bin/alias", "tool").ok());
  auto d = w->finish();
  ASSERT_TRUE(d.ok()) << d.error().message;

  EXPECT_EQ(
      read_tar(dir.path() / "l.tar"),
      (std::vector<Member>{{"usr/", AE_IFDIR, 0755, 0, 0, kEpoch, ""},
                           {"usr/local/", AE_IFDIR, 0755, 0, 0, kEpoch, ""},
                           {"usr/local/bin/", AE_IFDIR, 0755, 0, 0, kEpoch, ""},
                           {"usr/local/bin/tool", AE_IFREG, 0755, 0, 0, kEpoch, "#!/bin/sh\n"},
                           {"usr/local/bin/alias", AE_IFLNK, 0777, 0, 0, kEpoch, "tool"}}));
  auto digest = sha256_file(dir.path() / "l.tar");
  EXPECT_EQ(d->digest, *digest);
  EXPECT_EQ(d->size, fs::file_size(dir.path() / "l.tar"));
}

TEST(LayerWriter, SameInputsGiveTheSameDigest) {
  TestDir dir;
  std::string digests[2];
  for (int i = 0; i < 2; ++i) {
    auto w = LayerWriter::create(dir.path() / ("l" + std::to_string(i)));
    ASSERT_TRUE(w->add_file("etc/x", "same", 0644).ok());
    digests[i] = w->finish()->digest;
  }
  EXPECT_EQ(digests[0], digests[1]);
}

TEST(LayerWriter, CopiesOneFileOrATreeFromAnNpmTarball) {
  TestDir dir;
  fs::path tgz = pack_fixture(dir.path());
  auto w = LayerWriter::create(dir.path() / "l.tar");
  auto one = w->add_from_tgz(tgz, "package/bin/fx.js", "usr/local/bin/fx");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(*one, 1u);
  auto tree = w->add_from_tgz(tgz, "package/lib", "opt/fx/lib");
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(*tree, 1u);
  ASSERT_TRUE(w->finish().ok());

  std::vector<std::pair<std::string, unsigned>> files;
  for (const auto& m : read_tar(dir.path() / "l.tar")) {
    EXPECT_EQ(m.uid, 0);
    EXPECT_EQ(m.gid, 0);
    if (m.type == AE_IFREG) files.emplace_back(m.path, m.mode);
  }
  EXPECT_EQ(files, (std::vector<std::pair<std::string, unsigned>>{{"usr/local/bin/fx", 0755},
                                                                  {"opt/fx/lib/a.txt", 0644}}));
}

TEST(NpmPack, RefusesATarballWhoseBytesDoNotMatchItsIntegrity) {
  TestDir dir;
  fs::path tgz = pack_fixture(dir.path());
  auto good = sha512_integrity(tgz);
  ASSERT_TRUE(good.ok());
  // The integrity npm reported for this file is what sha512_integrity computes.
  EXPECT_EQ(good->rfind("sha512-", 0), 0u);
  write_text(tgz, "tampered");
  EXPECT_NE(*sha512_integrity(tgz), *good);
}

TEST(OciLayout, TagsImagesAndReadsBackTheirConfigAndLayers) {
  TestDir dir;
  auto layout = OciLayout::open(dir.path() / "oci");
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  auto w = LayerWriter::create(dir.path() / "l.tar");
  ASSERT_TRUE(w->add_file("hello", "hi\n", 0644).ok());
  auto d = w->finish();
  auto blob = layout->add_blob_file(dir.path() / "l.tar", d->media_type, d->digest);
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  EXPECT_TRUE(fs::exists(layout->blob_path(d->digest)));

  ImagePlan plan{{*blob}, {"test layer"}, {"A=1"}, {{"k", "v"}}};
  auto m = write_image(*layout, plan);
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_TRUE(layout->tag("one", *m).ok());
  ASSERT_TRUE(layout->tag("one", *m).ok());  // re-tagging replaces, never duplicates

  auto found = layout->find("one");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->digest, m->digest);
  EXPECT_FALSE(layout->find("two").has_value());
  auto cfg = read_image_config(*layout, "one");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ((*cfg)["config"]["Labels"]["k"], "v");
  EXPECT_EQ((*cfg)["config"]["Env"][0], "A=1");
  EXPECT_EQ((*cfg)["rootfs"]["diff_ids"][0], d->digest);
  auto layers = read_image_layers(*layout, "one");
  ASSERT_EQ(layers->size(), 1u);
  EXPECT_EQ((*layers)[0].digest, d->digest);

  auto index = nlohmann::json::parse(read_text(dir.path() / "oci" / "index.json"));
  EXPECT_EQ(index["manifests"].size(), 1u);
}

TEST(OciLayout, RefusesABlobWhoseBytesChanged) {
  TestDir dir;
  auto layout = OciLayout::open(dir.path() / "oci");
  auto d = layout->add_blob_text("{}", "application/json");
  write_text(layout->blob_path(d->digest), "{\"x\":1}");
  auto read = layout->read_blob(d->digest);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message, "read blob " + d->digest + ": digest mismatch");
}

}  // namespace
}  // namespace bbox::image::build
