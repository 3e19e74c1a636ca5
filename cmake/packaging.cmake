# CPack: a Debian package of everything `cmake --install` puts in the prefix, installed under /usr.
# Build it with scripts/package.sh (or `cpack -G DEB` in a configured build directory).
set(CPACK_PACKAGE_NAME roachrun)
set(CPACK_PACKAGE_VENDOR roachrun)
set(CPACK_PACKAGE_CONTACT "roachrun maintainers <roachrun@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})  # MAJOR.MINOR is the SDK version
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Stripped as distributions strip (and further: `strip --strip-all`): roachrun reads a plugin's
# exports from its dynamic symbol table, which stripping keeps.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # roachrun_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/cockroachdb/docs")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "roachrun runs CockroachDB tutorials step by step against CockroachDB or PostgreSQL through step
plugins. It ships the sql, admin, bank, certs, nodes, exec and time plugins, the tutorial scenarios in
/usr/share/roachrun/scenarios, and the plugin SDK (headers and a CMake package) to build more.")
# dpkg-shlibdeps computes the library dependencies (with versions) from the binaries. Where it is
# missing, the same list is stated by hand.
find_program(ROACHRUN_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(ROACHRUN_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libpq5, libyaml-cpp0.7, libspdlog1.10, libfmt9, libssl3, libstdc++6, libc6")
endif()
# The `local` target runs a throwaway PostgreSQL 15; without it only URL targets work. With
# `nodes:` it runs a pg_auto_failover formation, which needs the other two.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql-15, postgresql-15-auto-failover, pg-auto-failover-cli")
# Building plugins against the installed SDK (find_package(roachrun)) needs a compiler, CMake and
# the headers of the SDK's public dependencies.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "cmake, g++, libpq-dev, nlohmann-json3-dev, libspdlog-dev, libfmt-dev, libboost-dev")

include(CPack)
