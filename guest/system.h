// Kernel modules, hostname and the hardening sysctls.
#pragma once

#include <string>

namespace bbox::guest {

// Loads every module listed in /lib/modules/bbox.order (dependencies first),
// with finit_module. A module that fails is logged, not fatal: what needs it
// fails later with a clearer message.
void load_modules();

// Sets the hostname and adds it to /etc/hosts.
void set_hostname(const std::string& name);

// kptr_restrict, dmesg_restrict, unprivileged BPF off, Yama ptrace scope,
// perf and kexec off, protected links/fifos/regular files in sticky
// directories, and no module loading from now on.
void harden();

}  // namespace bbox::guest
