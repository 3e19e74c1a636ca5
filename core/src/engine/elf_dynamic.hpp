// What a shared library's dynamic section says about it, read from the file without loading it:
// the symbols it exports and the libraries it needs. This is the part of an ELF file the dynamic
// loader itself relies on (.dynsym, .dynstr, .dynamic), so it survives `strip --strip-unneeded`
// (dh_strip) and `strip --strip-all`, unlike the full symbol table (.symtab).
//
// The file is untrusted input (any *.so in a plugin directory): every offset and size is checked
// against the file before it is read, and a malformed file is an ElfError, never a crash. Only
// the host's own ELF class and byte order are accepted: nothing else could be loaded anyway.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace roachrun {

// Why a file is not a shared library this process could load; what() is a phrase such as
// "not an ELF file" or "truncated: ...", without the path.
class ElfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ElfDynamicInfo {
  std::vector<std::string> exported;  // defined global and weak symbols of .dynsym, in table order
  std::vector<std::string> needed;    // DT_NEEDED entries (sonames), in order
};

// Throws ElfError if `path` is not a well-formed shared library of this process's ELF class and
// byte order with a dynamic symbol table; std::filesystem errors are reported as ElfError too.
ElfDynamicInfo read_elf_dynamic_info(const std::filesystem::path& path);

}  // namespace roachrun
