# roachrun_add_plugin(NAME SOURCES ...)
# Builds a loadable roachrun plugin: a MODULE library named roachrun_<NAME>, linked only to the
# public SDK, with hidden visibility (only the factory and ABI stamp are exported) and an rpath
# that finds libroachrun_sdk from lib/roachrun/plugins/ in the build tree and in an install.
function(roachrun_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES")
  set(target roachrun_plugin_${name})
  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE roachrun::sdk ${arg_LIBRARIES})
  if(TARGET roachrun_warnings)
    target_link_libraries(${target} PRIVATE roachrun_warnings)
  endif()
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME roachrun_${name}
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${ROACHRUN_PLUGIN_OUTPUT_DIRECTORY}
    INSTALL_RPATH "$ORIGIN/../..")
  # Lets the build's own tests depend on every bundled plugin without naming them.
  set_property(GLOBAL APPEND PROPERTY ROACHRUN_BUNDLED_PLUGINS ${target})
endfunction()
