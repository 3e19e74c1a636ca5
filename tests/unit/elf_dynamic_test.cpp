// engine/elf_dynamic.hpp: reading a shared library's dynamic symbols and needed libraries from an
// untrusted file, with a real plugin and copies of it broken one field at a time.
#include <elf.h>
#include <link.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>

#include "engine/elf_dynamic.hpp"
#include "fixture_plugins.hpp"
#include "roachrun/version.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// The ElfError's message for a copy of a real plugin changed by `edit`, given its ELF header and
// its section headers (which `edit` may change; they are written back).
std::string error_after(const std::function<void(std::string&, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>&)>& edit) {
  std::string bytes = test::read_file(test::fixture_plugin("fixture_steps"));
  ElfW(Ehdr) header;
  std::memcpy(&header, bytes.data(), sizeof header);
  std::vector<ElfW(Shdr)> sections(header.e_shnum);
  std::memcpy(sections.data(), bytes.data() + header.e_shoff, sections.size() * sizeof(ElfW(Shdr)));
  const auto section_headers_at = header.e_shoff;  // where they are written back, whatever the edit says
  edit(bytes, header, sections);
  std::memcpy(bytes.data() + section_headers_at, sections.data(), sections.size() * sizeof(ElfW(Shdr)));
  std::memcpy(bytes.data(), &header, sizeof header);
  test::TempDir tmp;
  const std::string path = tmp.write("edited.so", bytes);
  try {
    read_elf_dynamic_info(path);
  } catch (const ElfError& e) {
    return e.what();
  }
  return "(no error)";
}

ElfW(Shdr)& section_of_type(std::vector<ElfW(Shdr)>& sections, unsigned type) {
  for (auto& s : sections)
    if (s.sh_type == type) return s;
  throw std::runtime_error("no such section");
}

TEST(ElfDynamic, ReadsAPluginsExportsAndNeededLibraries) {
  ElfDynamicInfo info = read_elf_dynamic_info(test::fixture_plugin("fixture_steps"));
  EXPECT_TRUE(contains(info.exported, "roachrun_plugin_abi"));
  EXPECT_TRUE(contains(info.exported, "roachrun_plugin_factory"));
  EXPECT_FALSE(contains(info.exported, "")) << "the null symbol is not an export";
  EXPECT_TRUE(contains(info.needed, "libroachrun_sdk.so." + std::to_string(kSdkVersionMajor)));
  // Imports are not exports: the plugin calls into libstdc++ but does not define operator new.
  EXPECT_FALSE(contains(info.exported, "_Znwm"));
}

TEST(ElfDynamic, UnmodifiedCopyReadsFine) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>&) {}), "(no error)");
}

TEST(ElfDynamic, MissingFileIsAnError) {
  test::TempDir tmp;
  try {
    read_elf_dynamic_info(tmp.path() / "nope.so");
    FAIL() << "no error";
  } catch (const ElfError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot read it: ", 0), 0u) << e.what();
  }
}

TEST(ElfDynamic, AnotherElfClassIsRefused) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)& h, std::vector<ElfW(Shdr)>&) {
              h.e_ident[EI_CLASS] = sizeof(void*) == 8 ? ELFCLASS32 : ELFCLASS64;
            }).rfind("an ELF file for ", 0),
            0u);
}

TEST(ElfDynamic, AnotherByteOrderIsRefused) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)& h, std::vector<ElfW(Shdr)>&) {
              h.e_ident[EI_DATA] = h.e_ident[EI_DATA] == ELFDATA2LSB ? ELFDATA2MSB : ELFDATA2LSB;
            }),
            "an ELF file of the other byte order than this machine's");
}

TEST(ElfDynamic, AnExecutableIsNotASharedLibrary) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)& h, std::vector<ElfW(Shdr)>&) { h.e_type = ET_EXEC; }),
            "an ELF file, but not a shared library (type 2)");
}

TEST(ElfDynamic, SectionHeadersPastTheEndAreTruncation) {
  const std::string error =
      error_after([](std::string& bytes, ElfW(Ehdr)& h, std::vector<ElfW(Shdr)>&) { h.e_shoff = bytes.size() - 8; });
  EXPECT_EQ(error.rfind("truncated: its section headers (", 0), 0u) << error;
}

TEST(ElfDynamic, HugeOffsetsDoNotWrapAround) {
  const std::string error = error_after([](std::string&, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>& sections) {
    section_of_type(sections, SHT_DYNSYM).sh_offset = ~0ull - 4;
  });
  EXPECT_EQ(error.rfind("truncated: its dynamic symbol table (", 0), 0u) << error;
}

TEST(ElfDynamic, SymbolTablePastTheEndIsTruncation) {
  const std::string error = error_after([](std::string& bytes, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>& sections) {
    section_of_type(sections, SHT_DYNSYM).sh_size = bytes.size();
  });
  EXPECT_EQ(error.rfind("truncated: its dynamic symbol table (", 0), 0u) << error;
}

TEST(ElfDynamic, NoDynamicSymbolTable) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>& sections) {
              section_of_type(sections, SHT_DYNSYM).sh_type = SHT_PROGBITS;
            }),
            "it has no dynamic symbol table (.dynsym)");
}

TEST(ElfDynamic, SymbolEntriesOfAnotherSize) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>& sections) {
              section_of_type(sections, SHT_DYNSYM).sh_entsize = 7;
            }).rfind("corrupt dynamic symbol table: entries of 7 bytes", 0),
            0u);
}

TEST(ElfDynamic, NamesOutsideTheirStringTable) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>& sections) {
              auto& dynsym = section_of_type(sections, SHT_DYNSYM);
              sections[dynsym.sh_link].sh_size = 1;
            }),
            "corrupt dynamic symbol table: a name lies outside its string table");
}

TEST(ElfDynamic, LinkToNoStringTable) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)&, std::vector<ElfW(Shdr)>& sections) {
              section_of_type(sections, SHT_DYNSYM).sh_link = 0;
            }),
            "corrupt dynamic symbol table: it links to no string table");
}

TEST(ElfDynamic, NoSectionHeaders) {
  EXPECT_EQ(error_after([](std::string&, ElfW(Ehdr)& h, std::vector<ElfW(Shdr)>&) { h.e_shnum = 0; }),
            "it has no section headers");
}

}  // namespace
}  // namespace roachrun
