# Testing set-up, included by the top-level CMakeLists.txt before any folder, so every folder
# can declare its own tests with brrt_check_test() under if(BUILD_TESTING).
if(CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR AND BRRT_BUILD_TESTS)
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

# brrt_test_needs(<test> <program>...): the test runs these programs from bin/. It is disabled
# when one of them is missing (a BRRT_BUILD_* component off), and when none of them is built
# here: programs copied from BRRT_TEST_PEER_BIN only stand in for others in a test of this
# build's programs.
function(brrt_test_needs test)
  set(ours FALSE)
  foreach(prog ${ARGN})
    if(TARGET ${prog})
      set(ours TRUE)
    elseif(NOT EXISTS ${PROJECT_BINARY_DIR}/bin/${prog})
      set(ours FALSE)
      break()
    endif()
  endforeach()
  if(NOT ours)
    set_tests_properties(${test} PROPERTIES DISABLED TRUE)
  endif()
endfunction()
