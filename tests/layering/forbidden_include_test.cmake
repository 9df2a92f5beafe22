# The layering check fails on a forbidden include: a workflow source including a storage or an
# http header, or an edge library's header. Runs the real checker with the real table on a
# small tree made in WORK_DIR.
# Usage: cmake -DCHECKER=<check_layering.cmake> -DTABLE=<layering.txt> -DWORK_DIR=<dir> -P ...
cmake_minimum_required(VERSION 3.25)

set(root "${WORK_DIR}/layering_tree")
file(REMOVE_RECURSE "${root}")
file(WRITE "${root}/include/planfix_flow/storage/database.h" "#pragma once\n")
file(WRITE "${root}/include/planfix_flow/http/http_client.h" "#pragma once\n")
file(WRITE "${root}/include/planfix_flow/plan/plan.h" "#pragma once\n")
file(WRITE "${root}/include/planfix_flow/workflow/workflow.h"
     "#pragma once\n\n#include \"planfix_flow/plan/plan.h\"\n")

function(run_checker out_result out_text)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -DTABLE=${TABLE} -P ${CHECKER}
                  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${out_result} "${result}" PARENT_SCOPE)
  set(${out_text} "${out}${err}" PARENT_SCOPE)
endfunction()

function(expect_contains text expected)
  string(FIND "${text}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected the checker to say\n  ${expected}\nbut it said\n${text}")
  endif()
endfunction()

# A clean tree passes.
file(WRITE "${root}/src/workflow/rules.cpp"
     "#include \"planfix_flow/workflow/workflow.h\"\n\n#include <string>\n")
run_checker(result text)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the checker refused a clean tree:\n${text}")
endif()

# A workflow source that includes storage, http and an edge library fails, naming each line.
file(WRITE "${root}/src/workflow/rules.cpp"
     "#include \"planfix_flow/workflow/workflow.h\"\n\n"
     "#include <httplib.h>\n"
     "#include \"planfix_flow/storage/database.h\"\n"
     "  #  include \"planfix_flow/http/http_client.h\"\n")
run_checker(result text)
if(result EQUAL 0)
  message(FATAL_ERROR "the checker accepted a forbidden include:\n${text}")
endif()
expect_contains("${text}" "layering: 3 forbidden include(s)")
expect_contains("${text}" "src/workflow/rules.cpp:3: module 'workflow' may not include <httplib.h>")
expect_contains("${text}" "src/workflow/rules.cpp:4: module 'workflow' may not include \"planfix_flow/storage/database.h\" (module 'storage')")
expect_contains("${text}" "src/workflow/rules.cpp:5: module 'workflow' may not include \"planfix_flow/http/http_client.h\" (module 'http')")

# A file no module owns fails too: a new folder must be given its place in the table.
file(WRITE "${root}/src/workflow/rules.cpp" "#include \"planfix_flow/workflow/workflow.h\"\n")
file(WRITE "${root}/src/nowhere/thing.cpp" "\n")
run_checker(result text)
if(result EQUAL 0)
  message(FATAL_ERROR "the checker accepted a file no module owns:\n${text}")
endif()
expect_contains("${text}" "src/nowhere/thing.cpp: no module owns this file")

file(REMOVE_RECURSE "${root}")
message(STATUS "layering: forbidden includes and unowned files fail the check")
