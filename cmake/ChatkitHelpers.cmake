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

# chatkit_layer(NAME SOURCES <files under src/> [HEADERS <files under include/>] [DEPS <layers>] [LIBS <targets>])
# One library per layer, exported as chatkit::<name>: static, or shared with BUILD_SHARED_LIBS=ON
# (docs/packaging.md#shared-libraries). Every file is listed: SOURCES (relative to src/) holds the compiled files
# and the layer's private headers (src/<name>/detail/); HEADERS (relative to include/) is the public interface,
# installed as the target's header file set.
function(chatkit_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;HEADERS;DEPS;LIBS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "chatkit_layer(${name}): SOURCES is required")
  endif()
  # For the generated chatkit/<name>/src.hpp of header-only use (cmake/ChatkitSrcHpp.cmake).
  set_property(GLOBAL PROPERTY CHATKIT_LAYER_SOURCES_${name} ${ARG_SOURCES})
  list(TRANSFORM ARG_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/src/)
  add_library(chatkit_${name} ${ARG_SOURCES})  # STATIC unless BUILD_SHARED_LIBS
  add_library(chatkit::${name} ALIAS chatkit_${name})
  set_target_properties(chatkit_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME chatkit_${name}
                        POSITION_INDEPENDENT_CODE ON)
  get_target_property(type chatkit_${name} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    # While the version is 0.x a minor release may break the ABI, so the SONAME carries major.minor.
    if(PROJECT_VERSION_MAJOR EQUAL 0)
      set(soversion ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
    else()
      set(soversion ${PROJECT_VERSION_MAJOR})
    endif()
    # The compile lines stay those of the static build (so ccache serves one build from the other's objects):
    # DEFINE_SYMBOL "" drops the chatkit_<name>_EXPORTS definition, and no -fvisibility flag is added. The linker
    # version script cmake/chatkit.map chooses the exported symbols instead (docs/packaging.md#shared-libraries).
    set_target_properties(chatkit_${name} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${soversion}
                          DEFINE_SYMBOL "" LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/chatkit.map)
    target_link_options(chatkit_${name} PRIVATE "LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/chatkit.map")
    # Every layer links what it uses (an undefined symbol is a missing DEPS/LIBS entry). Not with sanitizers,
    # whose runtime only the executable links.
    if(NOT (CHATKIT_SANITIZE OR CHATKIT_SANITIZE_THREAD OR CHATKIT_BUILD_FUZZ OR CMAKE_CXX_FLAGS MATCHES "-fsanitize"))
      target_link_options(chatkit_${name} PRIVATE "LINKER:--no-undefined")
    endif()
  endif()
  target_include_directories(chatkit_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
  if(ARG_HEADERS)
    list(TRANSFORM ARG_HEADERS PREPEND ${PROJECT_SOURCE_DIR}/include/)
    target_sources(chatkit_${name} PUBLIC FILE_SET HEADERS BASE_DIRS ${PROJECT_SOURCE_DIR}/include
                   FILES ${ARG_HEADERS})
  endif()
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
  set_property(GLOBAL PROPERTY CHATKIT_LAYER_DEPS_${name} ${ARG_DEPS})
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
