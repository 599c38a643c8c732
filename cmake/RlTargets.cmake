# Helpers that give every target of ours the same warnings and layout.
# -Wno-restrict: g++ 12 reports false positives in std::string concatenation (GCC bug 105651).
set(RL_WARNINGS -Wall -Wextra -Wno-restrict)
if(RL_WERROR)
  list(APPEND RL_WARNINGS -Werror)
endif()

# rl_library(NAME SOURCES a.cc b.cc DEPS x y [PRIVATE_DEPS z])
function(rl_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${RL_WARNINGS}>)
  target_link_libraries(${name} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
endfunction()

# rl_executable(NAME SOURCES ... DEPS ...)
function(rl_executable name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_compile_options(${name} PRIVATE ${RL_WARNINGS})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
endfunction()

# rl_test(NAME SOURCES ... DEPS ... [LABELS unit|slow|e2e] [TIMEOUT s])
# One gtest binary; every TEST becomes a CTest test carrying the labels.
function(rl_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_compile_options(${name} PRIVATE ${RL_WARNINGS})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    RL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" RL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
