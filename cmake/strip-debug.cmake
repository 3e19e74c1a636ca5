# CPack pre-build script: removes the debug information from the staged binaries, but keeps their
# symbol tables. A full strip (CPACK_STRIP_FILES) would also drop .symtab, where roachrun reads a
# plugin's exports before loading it (Boost.DLL's library_info), and every plugin would be refused.
file(GLOB_RECURSE binaries LIST_DIRECTORIES false
  "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/bin/*"
  "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/lib/*.so*")
foreach(binary IN LISTS binaries)
  if(NOT IS_SYMLINK "${binary}")
    execute_process(COMMAND "${CPACK_ROACHRUN_STRIP}" --strip-debug "${binary}" RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "strip --strip-debug ${binary} failed")
    endif()
  endif()
endforeach()
