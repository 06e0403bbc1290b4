// Choosing between KVM and TCG. KVM needs both a CPU with hardware
// virtualisation (vmx or svm in /proc/cpuinfo) and a /dev/kvm the user can
// open read-write. A /dev/kvm without those flags is PVM (or similar), which
// cannot boot a stock kernel, so it does not count.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "bbox/vm/vm.h"
#include "vm/accel_probe.h"

namespace bbox::vm {
namespace {

bool flags_line_has_virtualisation(const std::string& line) {
  std::istringstream words(line.substr(line.find(':') + 1));
  std::string w;
  while (words >> w) {
    if (w == "vmx" || w == "svm") return true;
  }
  return false;
}

}  // namespace

bool cpu_has_virtualisation(const std::string& cpuinfo_path) {
  std::ifstream in(cpuinfo_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0 && flags_line_has_virtualisation(line)) return true;
  }
  return false;
}

std::string kvm_device_problem(const std::string& device) {
  int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return device + " does not exist";
    if (err == EACCES || err == EPERM) {
      return device + " is not accessible (join the 'kvm' group)";
    }
    return device + ": " + std::strerror(err);
  }
  ::close(fd);
  return "";
}

AccelChoice decide_accel(bool cpu_virtualisation, const std::string& device_problem) {
  if (!cpu_virtualisation) {
    return {Accel::kTcg, "the CPU shows no vmx or svm flag"};
  }
  if (!device_problem.empty()) return {Accel::kTcg, device_problem};
  return {Accel::kKvm, "the CPU shows vmx or svm and /dev/kvm opens"};
}

Result<AccelChoice> choose_accel(Accel requested) {
  if (requested == Accel::kTcg) return AccelChoice{Accel::kTcg, "requested with --accel tcg"};
  AccelChoice choice =
      decide_accel(cpu_has_virtualisation("/proc/cpuinfo"), kvm_device_problem("/dev/kvm"));
  if (requested == Accel::kKvm && choice.accel != Accel::kKvm) {
    return Error{"use KVM: " + choice.reason};
  }
  return choice;
}

}  // namespace bbox::vm
