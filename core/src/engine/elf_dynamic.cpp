#include "engine/elf_dynamic.hpp"

#include <elf.h>
#include <link.h>  // ElfW: the host's ELF class

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <system_error>

namespace roachrun {
namespace {

using Ehdr = ElfW(Ehdr);
using Shdr = ElfW(Shdr);
using Sym = ElfW(Sym);
using Dyn = ElfW(Dyn);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char kHostData = ELFDATA2LSB;
#else
constexpr unsigned char kHostData = ELFDATA2MSB;
#endif
constexpr unsigned char kHostClass = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;

// The file, read only in ranges that are checked against its size first.
class BoundedFile {
 public:
  explicit BoundedFile(const std::filesystem::path& path) : in_(path, std::ios::binary) {
    std::error_code ec;
    size_ = std::filesystem::file_size(path, ec);
    if (ec) throw ElfError("cannot read it: " + ec.message());
    if (!in_) throw ElfError(std::string("cannot open it: ") + std::strerror(errno));
  }

  std::uint64_t size() const { return size_; }

  std::vector<char> read(std::uint64_t offset, std::uint64_t length, const char* what) {
    if (offset > size_ || length > size_ - offset)
      throw ElfError(std::string("truncated: its ") + what + " (" + std::to_string(length) + " bytes at offset " +
                     std::to_string(offset) + ") lie past the end of the file (" + std::to_string(size_) + " bytes)");
    std::vector<char> bytes(length);
    in_.seekg(static_cast<std::streamoff>(offset));
    if (!in_.read(bytes.data(), static_cast<std::streamsize>(length)))
      throw ElfError(std::string("cannot read its ") + what);
    return bytes;
  }

  template <class T>
  T read_one(std::uint64_t offset, const char* what) {
    std::vector<char> bytes = read(offset, sizeof(T), what);
    T value;
    std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }

 private:
  std::ifstream in_;
  std::uint64_t size_ = 0;
};

// A table of fixed-size entries (symbols, dynamic entries) that one section holds.
template <class T>
std::vector<T> read_table(BoundedFile& file, const Shdr& section, const char* what) {
  if (section.sh_entsize != sizeof(T))
    throw ElfError(std::string("corrupt ") + what + ": entries of " + std::to_string(section.sh_entsize) +
                   " bytes, expected " + std::to_string(sizeof(T)));
  std::vector<char> bytes = file.read(section.sh_offset, section.sh_size, what);
  std::vector<T> entries(bytes.size() / sizeof(T));
  if (!entries.empty()) std::memcpy(entries.data(), bytes.data(), entries.size() * sizeof(T));
  return entries;
}

// The string table a section links to (sh_link), checked to be one.
std::vector<char> linked_strings(BoundedFile& file, const std::vector<Shdr>& sections, const Shdr& section,
                                 const char* what) {
  if (section.sh_link >= sections.size() || sections[section.sh_link].sh_type != SHT_STRTAB)
    throw ElfError(std::string("corrupt ") + what + ": it links to no string table");
  const Shdr& strings = sections[section.sh_link];
  return file.read(strings.sh_offset, strings.sh_size, what);
}

std::string string_at(const std::vector<char>& table, std::uint64_t offset, const char* what) {
  if (offset >= table.size()) throw ElfError(std::string("corrupt ") + what + ": a name lies outside its string table");
  const char* begin = table.data() + offset;
  const void* end = std::memchr(begin, '\0', table.size() - offset);
  if (!end) throw ElfError(std::string("corrupt ") + what + ": a name runs past its string table");
  return std::string(begin, static_cast<const char*>(end));
}

Ehdr read_header(BoundedFile& file) {
  if (file.size() < EI_NIDENT) throw ElfError("not an ELF file (" + std::to_string(file.size()) + " bytes)");
  std::vector<char> ident = file.read(0, EI_NIDENT, "identification");
  if (std::memcmp(ident.data(), ELFMAG, SELFMAG) != 0) throw ElfError("not an ELF file");
  if (static_cast<unsigned char>(ident[EI_CLASS]) != kHostClass)
    throw ElfError(std::string("an ELF file for ") + (kHostClass == ELFCLASS64 ? "32" : "64") +
                   "-bit machines; this roachrun is " + (kHostClass == ELFCLASS64 ? "64" : "32") + "-bit");
  if (static_cast<unsigned char>(ident[EI_DATA]) != kHostData)
    throw ElfError("an ELF file of the other byte order than this machine's");
  Ehdr header = file.read_one<Ehdr>(0, "ELF header");
  if (header.e_type != ET_DYN) throw ElfError("an ELF file, but not a shared library (type " + std::to_string(header.e_type) + ")");
  return header;
}

}  // namespace

ElfDynamicInfo read_elf_dynamic_info(const std::filesystem::path& path) {
  BoundedFile file(path);
  const Ehdr header = read_header(file);
  if (header.e_shnum == 0) throw ElfError("it has no section headers");
  if (header.e_shentsize != sizeof(Shdr))
    throw ElfError("corrupt ELF header: section headers of " + std::to_string(header.e_shentsize) + " bytes");
  std::vector<Shdr> sections(header.e_shnum);
  std::vector<char> raw = file.read(header.e_shoff, sections.size() * sizeof(Shdr), "section headers");
  std::memcpy(sections.data(), raw.data(), raw.size());

  ElfDynamicInfo info;
  bool has_dynsym = false;
  for (const Shdr& section : sections) {
    if (section.sh_type == SHT_DYNSYM) {
      has_dynsym = true;
      std::vector<char> names = linked_strings(file, sections, section, "dynamic symbol table");
      for (const Sym& sym : read_table<Sym>(file, section, "dynamic symbol table")) {
        const unsigned bind = ELF32_ST_BIND(sym.st_info);  // the same in both ELF classes
        if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0) continue;
        if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) continue;
        info.exported.push_back(string_at(names, sym.st_name, "dynamic symbol table"));
      }
    } else if (section.sh_type == SHT_DYNAMIC) {
      std::vector<char> names = linked_strings(file, sections, section, "dynamic section");
      for (const Dyn& entry : read_table<Dyn>(file, section, "dynamic section")) {
        if (entry.d_tag == DT_NULL) break;
        if (entry.d_tag == DT_NEEDED) info.needed.push_back(string_at(names, entry.d_un.d_val, "dynamic section"));
      }
    }
  }
  if (!has_dynsym) throw ElfError("it has no dynamic symbol table (.dynsym)");
  return info;
}

}  // namespace roachrun
