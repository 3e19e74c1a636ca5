# What `cmake --install` puts where. The layout is fixed relative to the prefix, because the
# executable finds its bundled plugins and its plugin scanner relative to itself
# (bin/../lib/roachrun/plugins, bin/../libexec/roachrun) and the rpaths are $ORIGIN-relative: "lib" is literal (not CMAKE_INSTALL_LIBDIR, which is
# lib/x86_64-linux-gnu under /usr on Debian), so any prefix works, also after a move.
include(CMakePackageConfigHelpers)

set(ROACHRUN_INSTALL_CMAKEDIR lib/cmake/roachrun)

install(TARGETS roachrun RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Found relative to bin/roachrun (bin/../libexec/roachrun): "libexec" is literal, as "lib" is.
install(TARGETS roachrun-plugin-scanner RUNTIME DESTINATION libexec/roachrun)

set_target_properties(roachrun_sdk PROPERTIES EXPORT_NAME sdk)
install(TARGETS roachrun_sdk EXPORT roachrun-targets
  LIBRARY DESTINATION lib
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY core/include/roachrun DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/generated/roachrun/sdk_version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/roachrun)

get_property(roachrun_bundled_plugins GLOBAL PROPERTY ROACHRUN_BUNDLED_PLUGINS)
install(TARGETS ${roachrun_bundled_plugins} LIBRARY DESTINATION lib/roachrun/plugins)

install(DIRECTORY scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/roachrun/scenarios FILES_MATCHING PATTERN "*.yaml")
install(FILES README.md docs/report-schema.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY examples/plugin-hello DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples PATTERN "build*" EXCLUDE)

install(EXPORT roachrun-targets NAMESPACE roachrun:: DESTINATION ${ROACHRUN_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/roachrun-config.cmake.in ${PROJECT_BINARY_DIR}/roachrun-config.cmake
  INSTALL_DESTINATION ${ROACHRUN_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
# The package's version is roachrun's, whose MAJOR.MINOR is the SDK's (see the top-level
# CMakeLists.txt): find_package(roachrun 3.0) accepts SDK 3.0 and any later 3.x, and refuses 2.x
# and 4.x, whose plugins this SDK would refuse or could not build.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/roachrun-config-version.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/roachrun-config.cmake
  ${PROJECT_BINARY_DIR}/roachrun-config-version.cmake
  cmake/RoachrunPlugin.cmake
  DESTINATION ${ROACHRUN_INSTALL_CMAKEDIR})
