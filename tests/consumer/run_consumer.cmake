# Drives one consumer test (registered by tests/consumer/CMakeLists.txt):
#   cmake -DMODE=find_package|add_subdirectory -DCHATKIT_SOURCE_DIR=... -DCHATKIT_BINARY_DIR=... -DWORK_DIR=...
#         -DCONFIG=<build type> -DGENERATOR=... [-DMAKE_PROGRAM=...] -DCXX_COMPILER=... [-DCXX_LAUNCHER=...]
#         [-DCXX_FLAGS=...] [-DCXX_FLAGS_CONFIG=...] [-DEXE_LINKER_FLAGS=...] [-DPREFIX_PATH=...]
#         [-DWERROR=ON|OFF] [-DPROTOCOL_ONLY=ON] [-DJOBS=2] -P run_consumer.cmake
# find_package:     installs the current build tree into WORK_DIR/prefix, then configures, builds and runs
#                   tests/consumer/find_package against that prefix.
# add_subdirectory: configures, builds and runs tests/consumer/add_subdirectory, which adds the source tree.
# The consumer build uses the parent build's compiler, launcher (ccache), flags, build type and generator, so
# the static libraries and the consumer's objects are ABI-compatible (and sanitizer runtimes match).
cmake_minimum_required(VERSION 3.25)

foreach(var MODE CHATKIT_SOURCE_DIR CHATKIT_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" PREFIX_PATH "${PREFIX_PATH}")
if(NOT JOBS)
  set(JOBS 2)
endif()

function(run_step what)
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(TIMESTAMP t1 "%s")
  math(EXPR secs "${t1} - ${t0}")
  if(NOT rc EQUAL 0)
    message("${out}")
    message(FATAL_ERROR "consumer ${MODE}: ${what} failed (${rc})")
  endif()
  message(STATUS "consumer ${MODE}: ${what} ok (${secs}s)")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

# A fresh tree each time: a stale prefix or cache could hide a missing install rule.
file(REMOVE_RECURSE ${WORK_DIR})
set(build_dir ${WORK_DIR}/build)
set(cache_args
  -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=${CONFIG}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
if(CXX_LAUNCHER)
  list(APPEND cache_args -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER})
endif()
if(MAKE_PROGRAM)
  list(APPEND cache_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(CONFIG AND DEFINED CXX_FLAGS_CONFIG)
  string(TOUPPER "${CONFIG}" config_upper)
  list(APPEND cache_args "-DCMAKE_CXX_FLAGS_${config_upper}=${CXX_FLAGS_CONFIG}")
endif()

if(MODE STREQUAL "find_package")
  set(prefix ${WORK_DIR}/prefix)
  set(config_arg)
  if(CONFIG)
    set(config_arg --config ${CONFIG})
  endif()
  run_step("cmake --install into ${prefix}" ${CMAKE_COMMAND} --install ${CHATKIT_BINARY_DIR} --prefix ${prefix} ${config_arg})
  # The test header of the store contract suite ships only with its library (built with the tests).
  if(EXISTS ${prefix}/include/chatkit/store/testing)
    message(FATAL_ERROR "consumer find_package: include/chatkit/store/testing was installed without its library")
  endif()
  # Every public header is installed (detail/ ones too: public templates include them) ...
  file(GLOB_RECURSE source_headers RELATIVE ${CHATKIT_SOURCE_DIR}/include ${CHATKIT_SOURCE_DIR}/include/chatkit/*)
  list(FILTER source_headers EXCLUDE REGEX "^chatkit/store/testing/")
  foreach(header IN LISTS source_headers)
    if(NOT EXISTS ${prefix}/include/${header})
      message(FATAL_ERROR "consumer find_package: include/${header} was not installed")
    endif()
  endforeach()
  # ... and no empty directory (package linters such as vcpkg's reject them).
  file(GLOB_RECURSE installed_dirs LIST_DIRECTORIES true ${prefix}/*)
  foreach(dir IN LISTS installed_dirs)
    if(IS_DIRECTORY ${dir})
      file(GLOB dir_entries ${dir}/*)
      if(NOT dir_entries)
        message(FATAL_ERROR "consumer find_package: the install created an empty directory ${dir}")
      endif()
    endif()
  endforeach()
  # The installed package alone must be enough: search the prefix (and whatever the parent build searched
  # for Boost, OpenSSL, ...), never the build tree.
  list(PREPEND PREFIX_PATH ${prefix})
  list(APPEND cache_args -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
  set(source_dir ${CHATKIT_SOURCE_DIR}/tests/consumer/find_package)
  set(programs app protocol_only)
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND cache_args -DCHATKIT_SOURCE_DIR=${CHATKIT_SOURCE_DIR})
  if(DEFINED WERROR)
    list(APPEND cache_args -DCHATKIT_WERROR=${WERROR})
  endif()
  if(PROTOCOL_ONLY)
    list(APPEND cache_args -DCONSUMER_PROTOCOL_ONLY=ON)
    set(programs protocol_only)
  else()
    set(programs app protocol_only)
  endif()
  set(source_dir ${CHATKIT_SOURCE_DIR}/tests/consumer/add_subdirectory)
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE ${MODE}")
endif()

# Through the environment (':'-separated), which find_package reads too, so no list escaping is needed.
if(PREFIX_PATH)
  string(REPLACE ";" ":" env_prefix_path "${PREFIX_PATH}")
  if(DEFINED ENV{CMAKE_PREFIX_PATH} AND NOT "$ENV{CMAKE_PREFIX_PATH}" STREQUAL "")
    string(APPEND env_prefix_path ":$ENV{CMAKE_PREFIX_PATH}")
  endif()
  set(ENV{CMAKE_PREFIX_PATH} "${env_prefix_path}")
endif()
run_step("configure" ${CMAKE_COMMAND} -S ${source_dir} -B ${build_dir} ${cache_args})
run_step("build ${programs}" ${CMAKE_COMMAND} --build ${build_dir} --parallel ${JOBS} --target ${programs})

# Expected lines: each program's output must contain them, in order.
set(expected_app
  [[request: threads.add_user_message thr_4f1c9a2b "remember the milk"]]
  [[rejected: invalid_request, HTTP 400, at type]]
  [[tool: {"type":"function","name":"add_note","description":"Add a note for the signed-in user.","parameters":{"type":"object","properties":{"text":{"type":"string","description":"The note"}},"required":["text"],"additionalProperties":false},"strict":true}]]
  [[call: "note for alice: remember the milk"]])
set(expected_protocol_only [[protocol only: threads.get_by_id thr_0a1b2c3d]])
foreach(program IN LISTS programs)
  run_step("run ${program}" ${build_dir}/${program})
  message("${step_output}")
  string(REPLACE "\n" ";" actual "${step_output}")
  list(FILTER actual EXCLUDE REGEX "^$")
  if(NOT "${actual}" STREQUAL "${expected_${program}}")
    string(REPLACE ";" "\n" want "${expected_${program}}")
    message(FATAL_ERROR "consumer ${MODE}: ${program} printed something else; expected:\n${want}")
  endif()
endforeach()
message(STATUS "consumer ${MODE}: PASS")
