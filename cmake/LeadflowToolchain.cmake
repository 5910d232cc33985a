# Compiler settings shared by every leadflow target: C++20, warnings as errors, ccache, sanitizers.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

option(LEADFLOW_WERROR "Treat compiler warnings as errors" ON)
set(LEADFLOW_SANITIZE "" CACHE STRING
    "Sanitizers to build with: empty, 'address,undefined' (ASan+UBSan) or 'thread' (TSan)")
set_property(CACHE LEADFLOW_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  message(STATUS "leadflow: using ccache at ${CCACHE_PROGRAM}")
endif()

if(LEADFLOW_SANITIZE)
  if(LEADFLOW_SANITIZE STREQUAL "thread")
    set(_lf_san -fsanitize=thread)
  elseif(LEADFLOW_SANITIZE STREQUAL "address,undefined")
    set(_lf_san -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  else()
    message(FATAL_ERROR "LEADFLOW_SANITIZE must be empty, 'address,undefined' or 'thread'")
  endif()
  add_compile_options(${_lf_san} -fno-omit-frame-pointer)
  add_link_options(${_lf_san})
endif()

# leadflow_defaults(TARGET): the warning set for code we write. Generated protobuf code gets only
# the language settings, since we do not control what protoc emits.
function(leadflow_defaults target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
  if(LEADFLOW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LEADFLOW_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  endif()
endfunction()

# leadflow_library(NAME SOURCES... [DEPS ...]): one static library per component.
function(leadflow_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  leadflow_defaults(${name})
endfunction()

# leadflow_test(NAME LABEL SOURCES... DEPS ...): one GoogleTest binary, its tests registered with ctest
# one by one under LABEL (unit, integration, e2e, chaos).
function(leadflow_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  leadflow_defaults(${name})
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT})
endfunction()
