// bbox-vm-driver: calls run_vm with flags, for the VM tests and the benchmark
// until the session code runs VMs through the real CLI.
//
//   bbox-vm-driver --session DIR --shared DIR --root IMAGE [--tty] [--accel auto|kvm|tcg]
//                  [--memory MIB] [--cpus N] [--timeout S] [--env NAME=value]...
//                  [--fetch GUEST_PATH]... [--timings]
//                  [--put GUEST_PATH OCTAL_MODE HOST_FILE|-]... [--ssh-agent SOCKET]
//                  -- COMMAND [ARG]...
//   bbox-vm-driver --attach --session DIR [--tty] [--env NAME=value]... -- COMMAND [ARG]...
//                  -- COMMAND [ARG]...
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/vm/vm.h"

namespace {

using bbox::vm::Accel;

// --put: the file's data comes from HOST_FILE ("-" for none, as for a directory).
bbox::vm::GuestFile put_file(const std::string& path, const std::string& mode,
                             const std::string& host_file) {
  bbox::vm::GuestFile f;
  f.path = path;
  f.mode = static_cast<uint32_t>(std::stoul(mode, nullptr, 8));
  if (host_file != "-") {
    std::ifstream in(host_file, std::ios::binary);
    f.data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return f;
}

bool parse(int argc, char** argv, bbox::vm::VmSpec& spec, bool& timings, bool& attach) {
  spec.tty = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--") {
      for (++i; i < argc; ++i) spec.argv.push_back(argv[i]);
    } else if (a == "--session") {
      spec.session_dir = value();
    } else if (a == "--shared") {
      spec.shared_dir = value();
    } else if (a == "--root") {
      spec.root_image = value();
    } else if (a == "--tty") {
      spec.tty = true;
    } else if (a == "--accel") {
      std::string v = value();
      spec.accel = v == "kvm" ? Accel::kKvm : v == "tcg" ? Accel::kTcg : Accel::kAuto;
    } else if (a == "--memory") {
      spec.memory_mib = std::stoull(value());
    } else if (a == "--cpus") {
      spec.cpus = std::stoi(value());
    } else if (a == "--timeout") {
      spec.ready_timeout_seconds = std::stoi(value());
    } else if (a == "--env") {
      spec.env.push_back(value());
    } else if (a == "--fetch") {
      spec.fetch_after_exit.push_back(value());
    } else if (a == "--put") {
      std::string path = value(), mode = value(), file = value();
      spec.files_before_exec.push_back(put_file(path, mode, file));
    } else if (a == "--ssh-agent") {
      spec.ssh_agent_socket = value();
    } else if (a == "--attach") {
      attach = true;
    } else if (a == "--timings") {
      timings = true;
    } else {
      bbox::ui::error("unknown flag {}", bbox::ui::quoted(a));
      return false;
    }
  }
  return !spec.argv.empty();
}

// --attach: a second command in the VM another driver runs for --session.
int run_attach(const bbox::vm::VmSpec& spec) {
  bbox::vm::AttachSpec a;
  a.argv = spec.argv;
  a.env = spec.env;
  a.tty = spec.tty;
  auto code = bbox::vm::attach_vm(spec.session_dir, a);
  if (!code) {
    bbox::ui::error("{}", code.error().message);
    return bbox::exit_code::kError;
  }
  return *code;
}

}  // namespace

int main(int argc, char** argv) {
  bbox::vm::VmSpec spec;
  bool timings = false;
  bool attach = false;
  if (!parse(argc, argv, spec, timings, attach)) return bbox::exit_code::kUsage;
  if (attach) return run_attach(spec);
  auto result = bbox::vm::run_vm(spec);
  if (!result) {
    bbox::ui::error("{}", result.error().message);
    return bbox::exit_code::kError;
  }
  if (timings) {
    std::fprintf(stderr,
                 "kernel/initramfs %lld ms\nstart to ready %lld ms\nsession %lld ms\n"
                 "stop %lld ms\n",
                 static_cast<long long>(result->timings.kernel_initramfs.count()),
                 static_cast<long long>(result->timings.start_to_ready.count()),
                 static_cast<long long>(result->timings.session.count()),
                 static_cast<long long>(result->timings.stop.count()));
  }
  for (const auto& tree : result->fetched) {
    std::fprintf(stderr, "fetched %s: %s\n", tree.root.c_str(),
                 tree.error.empty() ? "ok" : bbox::ui::printable(tree.error).c_str());
    for (const auto& e : tree.entries) {
      std::fprintf(stderr, "  '%s' %o %s\n", bbox::ui::printable(e.path).c_str(), e.mode,
                   bbox::ui::printable(e.data).c_str());
    }
  }
  return result->exit_code;
}
