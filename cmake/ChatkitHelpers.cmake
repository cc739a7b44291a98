# Helpers shared by every CMakeLists.txt of the project.

# Warnings for chatkit's own code (never forced on consumers).
function(chatkit_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion -Wold-style-cast -Wcast-align
                         -Woverloaded-virtual -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports false positives in libstdc++ string code at -O3.
    target_compile_options(${target} PRIVATE -Wno-stringop-overflow -Wno-stringop-overread -Wno-restrict -Wno-array-bounds)
  endif()
  if(CHATKIT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# chatkit_layer(NAME [DEPS ...] [LIBS ...])
# One static library per layer, built from src/<name>/*.cpp, exported as chatkit::<name>.
# Globbing lets each layer grow file by file without touching the build scripts.
function(chatkit_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;LIBS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_library(chatkit_${name} STATIC ${sources})
  add_library(chatkit::${name} ALIAS chatkit_${name})
  set_target_properties(chatkit_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME chatkit_${name}
                        POSITION_INDEPENDENT_CODE ON)
  target_include_directories(chatkit_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
  # Private headers live beside the sources (src/<layer>/detail/...), included as "<layer>/detail/x.hpp";
  # they are never installed. chatkit::<name>_internal hands the same directory to this layer's tests.
  target_include_directories(chatkit_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  add_library(chatkit_${name}_internal INTERFACE)
  add_library(chatkit::${name}_internal ALIAS chatkit_${name}_internal)
  target_include_directories(chatkit_${name}_internal INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  target_link_libraries(chatkit_${name}_internal INTERFACE chatkit_${name})
  target_compile_features(chatkit_${name} PUBLIC cxx_std_20)
  foreach(dep IN LISTS ARG_DEPS)
    target_link_libraries(chatkit_${name} PUBLIC chatkit_${dep})
  endforeach()
  target_link_libraries(chatkit_${name} PUBLIC ${ARG_LIBS})
  chatkit_warnings(chatkit_${name})
  set_property(GLOBAL APPEND PROPERTY CHATKIT_LAYERS chatkit_${name})
endfunction()

# chatkit_test(NAME SOURCES... LIBS ...) — a Catch2 executable registered with CTest.
function(chatkit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE chatkit_test_main ${ARG_LIBS})
  target_precompile_headers(${name} REUSE_FROM chatkit_test_main)
  chatkit_warnings(${name})
  add_test(NAME ${name} COMMAND ${name} --order lex)
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "CHATKIT_SOURCE_DIR=${PROJECT_SOURCE_DIR};CHATKIT_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
