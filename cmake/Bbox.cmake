# Helpers shared by every subsystem's CMakeLists.txt.

set(BBOX_WARNINGS -Wall -Wextra -Wno-missing-field-initializers)
if(BBOX_WERROR)
  list(APPEND BBOX_WARNINGS -Werror)
endif()

# bbox_library(NAME DEPS dep...) builds libbbox_NAME from src/NAME/*.cpp.
function(bbox_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)
    # A subsystem with headers only so far still gets a (empty) library.
    set(empty ${CMAKE_CURRENT_BINARY_DIR}/bbox_${name}_empty.cpp)
    file(WRITE ${empty} "")
    set(srcs ${empty})
  endif()
  add_library(bbox_${name} STATIC ${srcs})
  target_include_directories(bbox_${name}
    PUBLIC ${CMAKE_SOURCE_DIR}/include
    PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_options(bbox_${name} PRIVATE ${BBOX_WARNINGS})
  target_link_libraries(bbox_${name} PUBLIC ${ARG_DEPS})
endfunction()

# bbox_test(NAME DEPS dep... [LABELS l...]) builds bbox_test_NAME from
# tests/NAME/*.cpp and registers each GoogleTest case with CTest.
function(bbox_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "DEPS;LABELS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)
    message(STATUS "bbox: no tests in ${CMAKE_CURRENT_SOURCE_DIR} yet")
    return()
  endif()
  add_executable(bbox_test_${name} ${srcs})
  target_include_directories(bbox_test_${name} PRIVATE ${CMAKE_SOURCE_DIR}/src
    ${CMAKE_SOURCE_DIR}/tests)
  target_compile_options(bbox_test_${name} PRIVATE ${BBOX_WARNINGS})
  target_compile_definitions(bbox_test_${name} PRIVATE
    BBOX_SOURCE_DIR="${CMAKE_SOURCE_DIR}" BBOX_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(bbox_test_${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock
    GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # gtest_discover_tests cannot carry a list in PROPERTIES (the second label
  # would be read as a property name), so each test gets one label: the
  # suite's name, with "-slow" appended for slow suites. `ctest -LE slow`
  # leaves those out (labels match as regular expressions).
  set(label ${name})
  if(ARG_LABELS)
    list(JOIN ARG_LABELS "-" extra)
    set(label ${name}-${extra})
  endif()
  include(GoogleTest)
  gtest_discover_tests(bbox_test_${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS ${label} TIMEOUT ${ARG_TIMEOUT})
endfunction()
