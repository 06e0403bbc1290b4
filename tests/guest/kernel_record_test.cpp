// ensure_kernel asks apt for the current release at most once a day: a fresh
// record in cache_dir()/kernel/current is used without running apt-cache.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bbox/vm/kernel.h"
#include "bbox_test/scoped_env.h"
#include "bbox_test/temp_dir.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRelease = "6.1.0-99-cloud-amd64";

// A private XDG_CACHE_HOME holding one cached kernel, and a PATH whose only
// apt-cache names kRelease and leaves a mark in called_ each time it runs.
class KernelRecord : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    cache_env_.emplace("XDG_CACHE_HOME", (dir_ / "cache").string());
    path_env_.emplace("PATH", (dir_ / "bin").string());
    kernels_ = dir_ / "cache/broodbox/kernel";
    fs::create_directories(kernels_ / kRelease / "modules");
    std::ofstream(kernels_ / kRelease / "vmlinuz") << "x";
    std::ofstream(kernels_ / kRelease / "modules.load") << "virtio.ko\n";
    called_ = dir_ / "apt-cache-called";
    fs::create_directories(dir_ / "bin");
    fs::path apt = dir_ / "bin/apt-cache";
    std::ofstream(apt) << "#!/bin/sh\necho run >> '" << called_.string()
                       << "'\necho '  Depends: linux-image-" << kRelease << "'\n";
    fs::permissions(apt, fs::perms::owner_all);
  }
  void write_record(const std::string& release, long long age_seconds) {
    std::ofstream(kernels_ / "current")
        << release << "\n"
        << static_cast<long long>(std::time(nullptr)) - age_seconds << "\n";
  }
  int apt_calls() const {
    std::ifstream in(called_);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
  // The record's release and its age in seconds.
  std::pair<std::string, long long> record() const {
    std::ifstream in(kernels_ / "current");
    std::string release;
    long long written = 0;
    in >> release >> written;
    return {release, static_cast<long long>(std::time(nullptr)) - written};
  }

  test_support::TempDir tmp_{"bbox-kernel-record", "/tmp"};
  fs::path dir_, kernels_, called_;
  std::optional<test_support::ScopedEnv> cache_env_, path_env_;
};

TEST_F(KernelRecord, FreshRecordUsesTheCachedKernelWithoutRunningApt) {
  write_record(kRelease, 60 * 60);
  auto k = ensure_kernel(std::nullopt);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->version, kRelease);
  EXPECT_EQ(k->vmlinuz, kernels_ / kRelease / "vmlinuz");
  EXPECT_EQ(k->modules, std::vector<fs::path>{kernels_ / kRelease / "modules/virtio.ko"});
  EXPECT_EQ(apt_calls(), 0);
}

TEST_F(KernelRecord, WithoutRecordAptIsAskedOnceAndTheAnswerRecorded) {
  auto k = ensure_kernel(std::nullopt);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->version, kRelease);
  EXPECT_EQ(apt_calls(), 1);
  auto [release, age] = record();
  EXPECT_EQ(release, kRelease);
  EXPECT_GE(age, 0);
  EXPECT_LT(age, 60);

  ASSERT_TRUE(ensure_kernel(std::nullopt).ok());
  EXPECT_EQ(apt_calls(), 1);  // the second session trusts the record
  for (const auto& e : fs::directory_iterator(kernels_)) {
    EXPECT_NE(e.path().filename().string().substr(0, 9), ".current-") << e.path();
  }
}

TEST_F(KernelRecord, RecordADayOldAsksAptAgainAndRenewsIt) {
  write_record(kRelease, 24 * 60 * 60 + 1);
  ASSERT_TRUE(ensure_kernel(std::nullopt).ok());
  EXPECT_EQ(apt_calls(), 1);
  EXPECT_LT(record().second, 60);
}

TEST_F(KernelRecord, RecordOfAKernelNoLongerCachedAsksApt) {
  write_record("6.1.0-98-cloud-amd64", 60);
  auto k = ensure_kernel(std::nullopt);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->version, kRelease);
  EXPECT_EQ(apt_calls(), 1);
  EXPECT_EQ(record().first, kRelease);
}

TEST_F(KernelRecord, RecordFromTheFutureCountsAsStale) {
  write_record(kRelease, -2 * 60 * 60);
  ASSERT_TRUE(ensure_kernel(std::nullopt).ok());
  EXPECT_EQ(apt_calls(), 1);
}

TEST_F(KernelRecord, RecordNamingAPathOutsideTheCacheIsIgnored) {
  fs::create_directories(dir_ / "cache/broodbox/evil");
  std::ofstream(dir_ / "cache/broodbox/evil/modules.load") << "x.ko\n";
  std::ofstream(dir_ / "cache/broodbox/evil/vmlinuz") << "x";
  write_record("../evil", 60);
  auto k = ensure_kernel(std::nullopt);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->version, kRelease);
  EXPECT_EQ(apt_calls(), 1);
}

TEST_F(KernelRecord, StaleRecordWithoutAptFallsBackToTheNewestCachedKernel) {
  write_record(kRelease, 2 * 24 * 60 * 60);
  fs::remove(dir_ / "bin/apt-cache");
  auto k = ensure_kernel(std::nullopt);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->version, kRelease);
  EXPECT_GT(record().second, 24 * 60 * 60);  // not renewed: apt gave no answer
}

}  // namespace
}  // namespace bbox::vm
