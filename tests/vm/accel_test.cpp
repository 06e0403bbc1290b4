#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bbox/vm/vm.h"
#include "vm/accel_probe.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

fs::path write_cpuinfo(const std::string& flags) {
  fs::path p = fs::temp_directory_path() / ("bbox-cpuinfo-" + std::to_string(::getpid()));
  std::ofstream(p) << "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: " << flags
                   << "\n\nprocessor\t: 1\nflags\t\t: " << flags << "\n";
  return p;
}

TEST(CpuVirtualisation, FoundAsAWholeWordOfTheFlagsLine) {
  fs::path p = write_cpuinfo("fpu vme vmx sse2");
  EXPECT_TRUE(cpu_has_virtualisation(p.string()));
  p = write_cpuinfo("fpu svm lm");
  EXPECT_TRUE(cpu_has_virtualisation(p.string()));
  p = write_cpuinfo("fpu vmxx xsvm hypervisor");
  EXPECT_FALSE(cpu_has_virtualisation(p.string()));
  fs::remove(p);
}

TEST(DecideAccel, TcgWhenTheCpuShowsNoVirtualisationEvenWithADevice) {
  AccelChoice c = decide_accel(false, "");
  EXPECT_EQ(c.accel, Accel::kTcg);
  EXPECT_EQ(c.reason, "the CPU shows no vmx or svm flag");
}

TEST(DecideAccel, TcgWhenTheDeviceDoesNotOpen) {
  AccelChoice c = decide_accel(true, "/dev/kvm does not exist");
  EXPECT_EQ(c.accel, Accel::kTcg);
  EXPECT_EQ(c.reason, "/dev/kvm does not exist");
}

TEST(DecideAccel, KvmWhenBothHold) { EXPECT_EQ(decide_accel(true, "").accel, Accel::kKvm); }

TEST(KvmDevice, MissingDeviceIsNamed) {
  EXPECT_EQ(kvm_device_problem("/nonexistent/kvm"), "/nonexistent/kvm does not exist");
}

TEST(ChooseAccel, TcgRequestedIsTcg) {
  auto c = choose_accel(Accel::kTcg);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accel, Accel::kTcg);
}

TEST(ChooseAccel, KvmRequestedOnAMachineWithoutItIsAnError) {
  if (cpu_has_virtualisation("/proc/cpuinfo") && kvm_device_problem("/dev/kvm").empty()) {
    GTEST_SKIP() << "this machine has usable KVM";
  }
  auto c = choose_accel(Accel::kKvm);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("use KVM: ", 0), 0u) << c.error().message;
}

}  // namespace
}  // namespace bbox::vm
