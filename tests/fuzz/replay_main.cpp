// A main() for the fuzz targets without libFuzzer (any compiler): runs LLVMFuzzerTestOneInput once
// on each file named, or on each file in each directory named, and prints how many it ran. An
// input that once crashed a target crashes this program the same way, so the `fuzz_regressions`
// ctest entry replays tests/fuzz/regressions/ and the seed corpus in every build.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Named first, so a crash's output says which input it was.
  std::cerr << "replaying " << file.string() << "\n";
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg = argv[i];
    if (!std::filesystem::is_directory(arg)) {
      replay(arg);
      ++count;
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(arg))
      if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) replay(f);
    count += files.size();
  }
  std::cout << argv[0] << ": " << count << " inputs replayed, none crashed\n";
  return 0;
}
