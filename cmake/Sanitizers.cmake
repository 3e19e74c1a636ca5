# ROACHRUN_SANITIZE: a sanitizer build of everything in the tree (the executable, the SDK, the
# bundled and fixture plugins, the tests), so the libraries roachrun dlopens are instrumented
# like the code that loads them. A list for -fsanitize=, e.g. "address,undefined" or "thread";
# empty (the default) is a normal build. scripts/sanitize.sh configures build-asan/ and build-tsan/
# with it.
#
# ROACHRUN_FUZZ (clang only): also instruments everything for libFuzzer's coverage feedback
# (-fsanitize=fuzzer-no-link) and builds the fuzz targets of tests/fuzz/ as libFuzzer programs,
# so the ASan tree holds them too and fuzzing costs no build of its own (scripts/fuzz.sh).
set(ROACHRUN_SANITIZE "" CACHE STRING "Sanitizers for -fsanitize= (e.g. address,undefined or thread); empty: none")
option(ROACHRUN_FUZZ "Build the libFuzzer targets of tests/fuzz (clang; instruments everything for coverage)" OFF)

if(ROACHRUN_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "ROACHRUN_FUZZ needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
                      "configure with -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14")
endif()

if(ROACHRUN_SANITIZE)
  # Stop at the first report instead of carrying on (UBSan would otherwise only print), and keep
  # frame pointers so the reports' stacks are complete. -O1: the sanitizers' recommended level,
  # fast enough for the integration tests without optimising away what they watch. -g1: line
  # tables, all a report's stack needs, at a fraction of full debug info's compile time.
  add_compile_options(-fsanitize=${ROACHRUN_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${ROACHRUN_SANITIZE})
  # The tests that bound how long something takes scale the bound (tests/support/time_bound.hpp).
  add_compile_definitions(ROACHRUN_SANITIZED=1)
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g1")
  set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O1 -g1")
  message(STATUS "roachrun: sanitizers ${ROACHRUN_SANITIZE}")
endif()

if(ROACHRUN_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
  message(STATUS "roachrun: libFuzzer coverage instrumentation and fuzz targets")
endif()
