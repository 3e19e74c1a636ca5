# roachrun_add_plugin(NAME SOURCES ... [LIBRARIES ...])
# Builds a loadable roachrun plugin: a MODULE library named libroachrun_<NAME>.so, linked only to
# the public SDK (roachrun::sdk), with hidden visibility so that only the factory and the ABI stamp
# of ROACHRUN_PLUGIN(...) are exported. The stamp comes from the SDK headers it compiles against.
#
# Works in roachrun's own tree (roachrun::sdk is an ALIAS there) and in a project of its own after
# find_package(roachrun CONFIG) (roachrun::sdk is imported). The library goes to
# ROACHRUN_PLUGIN_OUTPUT_DIRECTORY when that is set (roachrun's tree sets it to
# lib/roachrun/plugins), else to the current binary directory: point `roachrun --plugin-dir` there.
function(roachrun_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "roachrun_add_plugin(${name}): no SOURCES given")
  endif()
  if(NOT TARGET roachrun::sdk)
    message(FATAL_ERROR "roachrun_add_plugin(${name}): target roachrun::sdk is missing; "
                        "call find_package(roachrun CONFIG REQUIRED) first")
  endif()
  set(target roachrun_plugin_${name})
  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE roachrun::sdk ${arg_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  if(TARGET roachrun_warnings)
    target_link_libraries(${target} PRIVATE roachrun_warnings)
  endif()
  if(ROACHRUN_PLUGIN_OUTPUT_DIRECTORY)
    set(output_dir ${ROACHRUN_PLUGIN_OUTPUT_DIRECTORY})
  else()
    set(output_dir ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME roachrun_${name}
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${output_dir}
    # Installed in <prefix>/lib/roachrun/plugins: libroachrun_sdk is two levels up.
    INSTALL_RPATH "$ORIGIN/../..")
  # Lets roachrun's own build install and test every bundled plugin without naming them.
  set_property(GLOBAL APPEND PROPERTY ROACHRUN_BUNDLED_PLUGINS ${target})
endfunction()
