#include "vm/kernel_modules.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "vm/kernel_fetch.h"

namespace bbox::vm {
namespace {

TEST(Modinfo, ReadsDependsAndSoftPreDependencies) {
  std::string info(
      "license=GPL\0depends=virtio,virtio-ring\0softdep=pre: crc32c post: x\0"
      "name=erofs\0",
      72);
  ModuleDeps d = dependencies_from_modinfo(info);
  EXPECT_EQ(d.hard, (std::vector<std::string>{"virtio", "virtio_ring"}));
  EXPECT_EQ(d.soft, (std::vector<std::string>{"crc32c"}));
}

TEST(Modinfo, EmptyDependsMeansNone) {
  ModuleDeps d = dependencies_from_modinfo(std::string("depends=\0", 9));
  EXPECT_TRUE(d.hard.empty());
}

TEST(LoadOrder, PutsDependenciesFirstAndSkipsBuiltInSoftDependencies) {
  std::map<std::string, ModuleDeps> deps = {
      {"virtio_ring", {}},
      {"virtio", {{"virtio_ring"}, {}}},
      {"virtio_mmio", {{"virtio", "virtio_ring"}, {}}},
      {"libcrc32c", {{}, {"crc32c"}}},
      {"erofs", {{"libcrc32c"}, {}}},
  };
  auto order = load_order({"virtio_mmio", "erofs"}, deps);
  ASSERT_TRUE(order.ok()) << order.error().message;
  EXPECT_EQ(*order, (std::vector<std::string>{"virtio_ring", "virtio", "virtio_mmio", "libcrc32c",
                                              "erofs"}));
}

TEST(LoadOrder, MissingHardDependencyIsAnErrorNamingBoth) {
  std::map<std::string, ModuleDeps> deps = {{"virtio_net", {{"net_failover"}, {}}}};
  auto order = load_order({"virtio_net"}, deps);
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message,
            "find module 'net_failover': not in the kernel package (needed by 'virtio_net')");
}

TEST(LoadOrder, CycleIsAnError) {
  std::map<std::string, ModuleDeps> deps = {{"a", {{"b"}, {}}}, {"b", {{"a"}, {}}}};
  auto order = load_order({"a"}, deps);
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message, "order modules: dependency cycle at 'a'");
}

TEST(AptDepends, FindsTheVersionedImagePackage) {
  auto v = parse_kernel_depends(
      "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-57-cloud-amd64\n");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "6.1.0-57-cloud-amd64");
}

TEST(AptDepends, RefusesVersionsThatAreNoSafeDirectoryName) {
  EXPECT_FALSE(parse_kernel_depends("  Depends: linux-image-../../etc\n").ok());
  EXPECT_FALSE(parse_kernel_depends("  Depends: linux-image-a/b\n").ok());
  EXPECT_FALSE(parse_kernel_depends("nothing here\n").ok());
}

TEST(RunProgram, NamesAMissingProgram) {
  std::string old_path = std::getenv("PATH");
  ::setenv("PATH", "/usr/bin:/bin", 1);  // no directory the user may not search
  auto r = run_program({"bbox-no-such-program", "x"}, "/", false);
  ::setenv("PATH", old_path.c_str(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "run 'bbox-no-such-program': No such file or directory");
}

TEST(RunProgram, ReadsStdoutWhileTheChildFillsStderr) {
  // 200 kB on stderr before stdout: more than a pipe holds.
  auto r = run_program({"sh", "-c", "head -c 200000 /dev/zero >&2; echo done"}, "/", false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "done\n");
}

TEST(RunProgram, QuotesTheLastLineOfStderrOnFailure) {
  auto r = run_program({"sh", "-c", "echo first >&2; echo 'E: the reason' >&2; exit 100"}, "/",
                       false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "run 'sh -c': E: the reason");
}

}  // namespace
}  // namespace bbox::vm
