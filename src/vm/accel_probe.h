// The parts of choose_accel that read the machine, split out so tests can
// feed them other machines' answers.
#pragma once

#include <string>

#include "bbox/vm/vm.h"

namespace bbox::vm {

// True when a "flags" line of the cpuinfo file lists vmx or svm.
bool cpu_has_virtualisation(const std::string& cpuinfo_path);
// Empty when the device opens read-write, else why not.
std::string kvm_device_problem(const std::string& device);
// The decision itself: KVM only with both conditions met.
AccelChoice decide_accel(bool cpu_virtualisation, const std::string& device_problem);

}  // namespace bbox::vm
