#include "vm/kernel_modules.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

#include "bbox/common/message.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find_first_of(seps, i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string normalise(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// "pre: a b post: c" -> {a, b}
void add_soft_pre(std::string_view value, std::vector<std::string>* out) {
  bool pre = false;
  for (const auto& word : split(value, " \t")) {
    if (word == "pre:")
      pre = true;
    else if (word == "post:")
      pre = false;
    else if (pre)
      out->push_back(normalise(word));
  }
}

// Returns the bytes of the section called `want`, bounds-checked against the
// file: the module file comes from a downloaded package.
Result<std::string_view> elf_section(std::string_view file, const char* want) {
  if (file.size() < sizeof(Elf64_Ehdr) || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0 ||
      file[EI_CLASS] != ELFCLASS64) {
    return Error{"not an ELF64 file"};
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, file.data(), sizeof eh);
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > file.size() ||
      (file.size() - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum || eh.e_shstrndx >= eh.e_shnum) {
    return Error{"bad ELF section table"};
  }
  auto shdr = [&](size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, file.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
    return sh;
  };
  auto bytes = [&](const Elf64_Shdr& sh) -> std::string_view {
    if (sh.sh_offset > file.size() || sh.sh_size > file.size() - sh.sh_offset) return {};
    return file.substr(sh.sh_offset, sh.sh_size);
  };
  std::string_view names = bytes(shdr(eh.e_shstrndx));
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = shdr(i);
    if (sh.sh_name >= names.size()) continue;
    std::string_view name = names.substr(sh.sh_name);
    name = name.substr(0, name.find('\0'));
    if (name == want) return bytes(sh);
  }
  return Error{std::string("no ") + want + " section"};
}

}  // namespace

std::string module_name(const fs::path& ko) { return normalise(ko.stem().string()); }

ModuleDeps dependencies_from_modinfo(std::string_view modinfo) {
  ModuleDeps d;
  for (const auto& entry : split(modinfo, std::string_view("\0", 1))) {
    if (entry.rfind("depends=", 0) == 0) {
      for (auto& n : split(std::string_view(entry).substr(8), ",")) d.hard.push_back(normalise(n));
    } else if (entry.rfind("softdep=", 0) == 0) {
      add_soft_pre(std::string_view(entry).substr(8), &d.soft);
    }
  }
  return d;
}

Result<ModuleDeps> module_dependencies(const fs::path& ko) {
  std::ifstream in(ko, std::ios::binary);
  if (!in) return Error{"read " + ui::quoted(ko.string()) + ": cannot open"};
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto section = elf_section(file, ".modinfo");
  if (!section) return section.error().wrap("read module " + ui::quoted(ko.string()));
  return dependencies_from_modinfo(*section);
}

Result<std::map<std::string, fs::path>> index_modules(const fs::path& dir) {
  std::map<std::string, fs::path> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".ko") {
      out.emplace(module_name(it->path()), it->path());
    }
  }
  if (ec) return Error{"list modules in " + ui::quoted(dir.string()) + ": " + ec.message()};
  return out;
}

namespace {

struct Sorter {
  const std::map<std::string, ModuleDeps>& deps;
  std::vector<std::string> order;
  std::set<std::string> done;
  std::set<std::string> visiting;

  Status visit(const std::string& name, const std::string& needed_by) {
    if (done.count(name)) return ok_status();
    if (visiting.count(name))
      return Error{"order modules: dependency cycle at " + ui::quoted(name)};
    auto it = deps.find(name);
    if (it == deps.end()) {
      std::string who = needed_by.empty() ? "" : " (needed by " + ui::quoted(needed_by) + ")";
      return Error{"find module " + ui::quoted(name) + ": not in the kernel package" + who};
    }
    visiting.insert(name);
    for (const auto& soft : it->second.soft) {
      if (!deps.count(soft)) continue;  // built in, or an alias of built-in code
      if (auto s = visit(soft, name); !s) return s;
    }
    for (const auto& hard : it->second.hard) {
      if (auto s = visit(hard, name); !s) return s;
    }
    visiting.erase(name);
    done.insert(name);
    order.push_back(name);
    return ok_status();
  }
};

}  // namespace

Result<std::vector<std::string>> load_order(const std::vector<std::string>& wanted,
                                            const std::map<std::string, ModuleDeps>& deps) {
  Sorter s{deps, {}, {}, {}};
  for (const auto& w : wanted) {
    if (auto st = s.visit(w, ""); !st) return st.error();
  }
  return s.order;
}

}  // namespace bbox::vm
