// How much of a scenario file roachrun will read, descend into and expand. Each limit is far
// above what a real scenario needs (the tutorials: a few KB, depth 5, no aliases, a dozen steps)
// and low enough that no input makes validation hang or exhaust memory: a file at every limit
// still validates in seconds. Exceeding one is a ValidationError at the place it happens that
// names the limit and what to do.
#pragma once

#include <cstddef>
#include <cstdint>

namespace roachrun::limits {

// Bytes in a scenario file, checked from fstat before reading. 20 MB (100,000 long steps, or
// as many comments) validates in a few seconds; beyond this size parsing alone takes longer than
// any tutorial is worth, and a file this big is generated, not written: split it.
inline constexpr std::size_t kMaxFileBytes = std::size_t{32} << 20;  // 32 MiB

// Levels of nesting (a mapping in a list in a mapping ...; the document itself is level 1). A
// step's parameters rarely nest past 3 levels below a depth-3 step. yaml-cpp stops by itself at
// 500 (with "bad file"); our traversals recurse, so the bound is ours and clearly stated.
inline constexpr int kMaxDepth = 64;

// Nodes of the document once every alias is replaced by what it refers to. yaml-cpp shares an
// aliased value, but everything after it (duplicate keys, parameters to JSON, the validator)
// walks values as written out, so 9 aliases of 9 aliases ... ("billion laughs") would take
// forever. 100,000 steps of 2 or 3 parameters are about 1.3 million nodes.
inline constexpr std::uint64_t kMaxNodes = 4'000'000;

// Steps of one scenario. 100,000 validates in about 2 s; a run of more is a benchmark, which
// `bank.workload` does better in one step.
inline constexpr std::size_t kMaxSteps = 100'000;

// Bytes that ${...} substitution may add to one value. A variable may be built from others, so
// a few of them each repeating the previous one would grow exponentially (9 of 9 references of
// 100 bytes: 38 GB); the variables of real scenarios (amounts, names, URLs, paths) add a few
// hundred bytes at most.
inline constexpr std::size_t kMaxValueBytes = std::size_t{1} << 20;  // 1 MiB

// Files included within one another (a scenario including a file that includes another is 2).
// The tutorials need 1; a chain this deep is a mistake (a cycle is refused as such before).
inline constexpr int kMaxIncludeDepth = 16;

}  // namespace roachrun::limits
