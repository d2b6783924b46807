# Helpers shared by every module's CMakeLists.txt.

# carnet_unit_test(NAME SOURCES... LIBS lib...) builds a GoogleTest executable beside its
# module and registers each test case with ctest under the "unit" label.
function(carnet_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()

# Embeds text files into a generated C++ source as a table of {name, contents}.
# carnet_embed(OUT_VAR NAMESPACE ns SYMBOL sym FILES f1 f2 ...)
function(carnet_embed out_var)
  cmake_parse_arguments(ARG "" "NAMESPACE;SYMBOL" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_SYMBOL}_embedded.cpp)
  # A ;-list would be split into separate command arguments: pass it |-separated.
  string(REPLACE ";" "|" files_arg "${ARG_FILES}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE} -DSYMBOL=${ARG_SYMBOL}
            "-DFILES=${files_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${ARG_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    COMMENT "Embedding ${ARG_SYMBOL}"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
