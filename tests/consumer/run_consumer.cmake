# Drives one consumer test (registered by tests/consumer/CMakeLists.txt):
#   cmake -DMODE=find_package|find_package_shared|header_only|add_subdirectory -DCHATKIT_SOURCE_DIR=...
#         -DCHATKIT_BINARY_DIR=... -DWORK_DIR=... -DCONFIG=<build type> -DGENERATOR=... [-DMAKE_PROGRAM=...]
#         -DCXX_COMPILER=... [-DCXX_LAUNCHER=...] [-DCXX_FLAGS=...] [-DCXX_FLAGS_CONFIG=...] [-DEXE_LINKER_FLAGS=...]
#         [-DPREFIX_PATH=...] [-DWERROR=ON|OFF] [-DPROTOCOL_ONLY=ON] [-DJOBS=2]
#         [-DSHARED_BUILD_DIR=... -DCHATKIT_CXX_FLAGS=... -DCHATKIT_OPTIONS=...] -P run_consumer.cmake
# find_package:        installs the current build tree into WORK_DIR/prefix, then configures, builds and runs
#                      tests/consumer/find_package against that prefix, and the same program built with
#                      `pkg-config --static`.
# find_package_shared: configures and builds the sources again with BUILD_SHARED_LIBS=ON in SHARED_BUILD_DIR
#                      (libraries only), installs that into WORK_DIR/prefix, and does the same with shared
#                      libraries (pkg-config without --static).
# header_only:         installs the current build tree into WORK_DIR/prefix and builds tests/consumer/header_only,
#                      which compiles the SDK into itself with <chatkit/src.hpp>, then runs it.
# add_subdirectory:    configures, builds and runs tests/consumer/add_subdirectory, which adds the source tree.
# The consumer build uses the parent build's compiler, launcher (ccache), flags, build type and generator, so
# the libraries and the consumer's objects are ABI-compatible (and sanitizer runtimes match).
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

set(prefix ${WORK_DIR}/prefix)
set(config_arg)
if(CONFIG)
  set(config_arg --config ${CONFIG})
endif()
set(installed_build ${CHATKIT_BINARY_DIR})
if(MODE STREQUAL "find_package_shared")
  # The same sources as shared libraries. SHARED_BUILD_DIR sits beside the parent build directory, at the same
  # depth, and the compile lines of static and shared layers are identical (cmake/ChatkitHelpers.cmake), so
  # with CCACHE_BASEDIR set (scripts/test.sh) every object comes from ccache; only the links are new work.
  string(REPLACE "|" ";" CHATKIT_OPTIONS "${CHATKIT_OPTIONS}")
  run_step("configure a shared build in ${SHARED_BUILD_DIR}" ${CMAKE_COMMAND} -S ${CHATKIT_SOURCE_DIR}
           -B ${SHARED_BUILD_DIR} ${cache_args} "-DCMAKE_CXX_FLAGS=${CHATKIT_CXX_FLAGS}" -DBUILD_SHARED_LIBS=ON
           -DCHATKIT_BUILD_TESTS=OFF -DCHATKIT_BUILD_EXAMPLES=OFF -DCHATKIT_BUILD_BENCH=OFF -DCHATKIT_INSTALL=ON
           -DCHATKIT_WERROR=${WERROR} ${CHATKIT_OPTIONS})
  run_step("build the shared libraries" ${CMAKE_COMMAND} --build ${SHARED_BUILD_DIR} --parallel ${JOBS})
  set(installed_build ${SHARED_BUILD_DIR})
endif()
if(NOT MODE STREQUAL "add_subdirectory")
  run_step("cmake --install into ${prefix}" ${CMAKE_COMMAND} --install ${installed_build} --prefix ${prefix} ${config_arg})
  file(GLOB_RECURSE installed_libs RELATIVE ${prefix} ${prefix}/lib*/libchatkit_*)
  message(STATUS "consumer ${MODE}: installed ${installed_libs}")
  if(NOT EXISTS ${prefix}/include/chatkit/src.hpp OR NOT EXISTS ${prefix}/include/chatkit/impl/protocol/detail/codec.hpp)
    message(FATAL_ERROR "consumer ${MODE}: chatkit/src.hpp and the sources under chatkit/impl/ were not installed")
  endif()
endif()
if(MODE STREQUAL "find_package_shared")
  # Shared libraries only, each with its SONAME (libchatkit_<layer>.so.<major>.<minor> while 0.x), exporting
  # nothing but chatkit and Boost symbols (cmake/chatkit.map).
  if(installed_libs MATCHES "\\.a(;|$)")
    message(FATAL_ERROR "consumer ${MODE}: a static library was installed: ${installed_libs}")
  endif()
  file(GLOB protocol_so ${prefix}/lib*/libchatkit_protocol.so)
  if(NOT protocol_so)
    message(FATAL_ERROR "consumer ${MODE}: no libchatkit_protocol.so was installed")
  endif()
  find_program(READELF NAMES readelf llvm-readelf-16 llvm-readelf REQUIRED)
  find_program(NM NAMES nm llvm-nm-16 llvm-nm REQUIRED)
  run_step("readelf -d libchatkit_protocol.so" ${READELF} -d ${protocol_so})
  if(NOT step_output MATCHES "SONAME[^\n]*\\[libchatkit_protocol\\.so\\.[0-9]+(\\.[0-9]+)?\\]")
    message(FATAL_ERROR "consumer ${MODE}: libchatkit_protocol.so has no versioned SONAME:\n${step_output}")
  endif()
  run_step("nm -D libchatkit_protocol.so" ${NM} -D -C --defined-only ${protocol_so})
  string(REPLACE "\n" ";" exported "${step_output}")
  list(FILTER exported EXCLUDE REGEX "chatkit::|boost::|^$")
  if(exported)
    list(JOIN exported "\n" exported)
    message(FATAL_ERROR "consumer ${MODE}: libchatkit_protocol.so exports symbols outside chatkit and boost:\n${exported}")
  endif()
endif()
if(MODE STREQUAL "find_package")
  # The store contract suite (header and library) is installed, since this build has the tests.
  file(GLOB contract_lib ${prefix}/lib*/libchatkit_store_contract.a ${prefix}/lib/*/libchatkit_store_contract.a)
  if(NOT contract_lib)
    message(FATAL_ERROR "consumer find_package: the store contract suite's library was not installed")
  endif()
endif()
if(MODE MATCHES "^find_package")
  # Every public header is installed (detail/ ones too: public templates include them) ...
  file(GLOB_RECURSE source_headers RELATIVE ${CHATKIT_SOURCE_DIR}/include ${CHATKIT_SOURCE_DIR}/include/chatkit/*)
  if(MODE STREQUAL "find_package_shared")  # a library-only build: no store contract suite (it needs Catch2)
    list(FILTER source_headers EXCLUDE REGEX "^chatkit/store/testing/")
  endif()
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
  # The store of examples/custom_store stands for a host's own store, run through the installed contract suite.
  list(APPEND cache_args -DCUSTOM_STORE_DIR=${CHATKIT_SOURCE_DIR}/examples/custom_store)
  if(MODE STREQUAL "find_package")
    set(programs app protocol_only store_contract_consumer)
  else()
    list(APPEND cache_args -DCONSUMER_WITHOUT_STORE_CONTRACT=ON)  # a library-only build has no contract suite
    set(programs app protocol_only)
  endif()
elseif(MODE STREQUAL "header_only")
  list(PREPEND PREFIX_PATH ${prefix})
  list(APPEND cache_args -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
       -DECHO_BOT_DIR=${CHATKIT_SOURCE_DIR}/examples/echo_server)
  set(source_dir ${CHATKIT_SOURCE_DIR}/tests/consumer/header_only)
  set(programs echo_header_only)
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
# The echo bot's answer to one threads.create "hello" (examples/echo_server/README.md), streamed over HTTP.
set(expected_echo_header_only
  [[header-only chatkit-cpp @VERSION@: HTTP/1.1 200 OK]]
  [[event: thread.created]]
  [[event: thread.item.done]]
  [[event: stream_options]]
  [[event: thread.item.added]]
  [[event: thread.updated]]
  [[event: thread.item.updated]]
  [[event: thread.item.updated]]
  [[event: thread.item.updated]]
  [[event: thread.item.updated]]
  [[event: thread.item.updated]]
  [[event: thread.item.done]]
  [[answer: You said: hello]])
file(READ ${CHATKIT_SOURCE_DIR}/CMakeLists.txt top_level)
string(REGEX MATCH "project\\(chatkit VERSION ([0-9.]+)" _ "${top_level}")
string(REPLACE "@VERSION@" "${CMAKE_MATCH_1}" expected_echo_header_only "${expected_echo_header_only}")
foreach(program IN LISTS programs)
  if(program STREQUAL "store_contract_consumer")
    run_step("run ${program}" ${build_dir}/${program} --order lex)
    if(NOT step_output MATCHES "All tests passed \\([0-9]+ assertions in [0-9]+ test cases\\)")
      message(FATAL_ERROR "consumer ${MODE}: the installed store contract suite failed:\n${step_output}")
    endif()
    continue()
  endif()
  run_step("run ${program}" ${build_dir}/${program})
  message("${step_output}")
  string(REPLACE "\n" ";" actual "${step_output}")
  # Empty lines, and the server's JSON log lines on stderr (the echo bot's HTTP server logs each request).
  list(FILTER actual EXCLUDE REGEX "^$|^{")
  if(NOT "${actual}" STREQUAL "${expected_${program}}")
    string(REPLACE ";" "\n" want "${expected_${program}}")
    message(FATAL_ERROR "consumer ${MODE}: ${program} printed something else; expected:\n${want}")
  endif()
endforeach()
# The same program built without CMake, from the installed pkg-config file alone (docs/packaging.md#pkg-config):
# static libraries need `--static` (the stores' C libraries are Requires.private), shared ones do not.
if(MODE MATCHES "^find_package")
  find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
  file(GLOB_RECURSE pc_files ${prefix}/*/chatkit.pc)
  list(LENGTH pc_files pc_count)
  if(NOT pc_count EQUAL 1)
    message(FATAL_ERROR "consumer find_package: expected one installed chatkit.pc, found: ${pc_files}")
  endif()
  get_filename_component(pc_dir ${pc_files} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  if(MODE STREQUAL "find_package")
    set(pc_static --static)
  else()
    set(pc_static)
  endif()
  run_step("pkg-config ${pc_static} --cflags --libs chatkit" ${PKG_CONFIG} ${pc_static} --cflags --libs chatkit)
  string(STRIP "${step_output}" pc_flags)
  # A static install's stores need their C libraries from `--static` (Libs.private).
  if(MODE STREQUAL "find_package")
    foreach(store_lib IN ITEMS "sqlite:-lsqlite3" "postgres:-lpq")
      string(REPLACE ":" ";" store_lib "${store_lib}")
      list(GET store_lib 0 layer)
      list(GET store_lib 1 flag)
      if(installed_libs MATCHES "libchatkit_${layer}\\.a" AND NOT " ${pc_flags} " MATCHES " ${flag} ")
        message(FATAL_ERROR "consumer ${MODE}: pkg-config --static does not link ${flag} for the ${layer} layer: ${pc_flags}")
      endif()
    endforeach()
  endif()
  separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
  separate_arguments(compile_flags UNIX_COMMAND "${CXX_FLAGS} ${CXX_FLAGS_CONFIG}")
  separate_arguments(link_flags UNIX_COMMAND "${EXE_LINKER_FLAGS}")
  set(pc_app ${WORK_DIR}/app_pkg_config)
  run_step("build app with pkg-config" ${CXX_LAUNCHER} ${CXX_COMPILER} -std=c++20 ${compile_flags}
           ${source_dir}/main.cpp -o ${pc_app} ${pc_flags} ${link_flags})
  get_filename_component(libdir ${pc_dir} DIRECTORY)
  set(ENV{LD_LIBRARY_PATH} ${libdir})  # the shared libraries (-L only, no RPATH): found as an installed system's are
  run_step("run app built with pkg-config" ${pc_app})
  unset(ENV{LD_LIBRARY_PATH})
  string(REPLACE "\n" ";" actual "${step_output}")
  list(FILTER actual EXCLUDE REGEX "^$")
  if(NOT "${actual}" STREQUAL "${expected_app}")
    message(FATAL_ERROR "consumer ${MODE}: the pkg-config build printed something else:\n${step_output}")
  endif()
endif()
# Conan's test_package (packaging/conan/test_package) against the same installed prefix.
if(MODE STREQUAL "find_package")
  set(tp_build ${WORK_DIR}/conan_test_package)
  run_step("configure the Conan test_package" ${CMAKE_COMMAND} -S ${CHATKIT_SOURCE_DIR}/packaging/conan/test_package
           -B ${tp_build} ${cache_args})
  run_step("build the Conan test_package" ${CMAKE_COMMAND} --build ${tp_build} --parallel ${JOBS})
  run_step("run the Conan test_package" ${tp_build}/test_package)
  if(NOT step_output MATCHES "^chatkit-cpp [0-9]+\\.[0-9]+\\.[0-9]+: parsed a request")
    message(FATAL_ERROR "consumer ${MODE}: the Conan test_package printed: ${step_output}")
  endif()
endif()
message(STATUS "consumer ${MODE}: PASS")
