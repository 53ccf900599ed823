# Testing set-up, included by the top-level CMakeLists.txt before any folder, so every folder
# can declare its own tests with brrt_check_test() under if(BUILD_TESTING).
if(CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  include(CTest)
else()
  set(BUILD_TESTING OFF)
endif()

# brrt_check_test(<name> <label> <sources...>): one Check program (linked with the test
# fixture library from tests/), one ctest entry.
function(brrt_check_test name label)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE brrt_test_common)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${label} TIMEOUT 300
    ENVIRONMENT "CK_DEFAULT_TIMEOUT=60;TSAN_OPTIONS=halt_on_error=1 suppressions=${PROJECT_SOURCE_DIR}/tests/tsan.supp")
endfunction()
