# install(EXPORT) of every layer plus chatkit::chatkit, a version file and a package config.
# Consumers: find_package(chatkit CONFIG REQUIRED [COMPONENTS <layer>...]) then chatkit::chatkit or
# chatkit::<layer> (docs/packaging.md). tests/consumer checks all of this against a real install.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(layers GLOBAL PROPERTY CHATKIT_LAYERS)
# Each layer's public headers are its HEADERS file set (listed in src/CMakeLists.txt), so exactly those files are
# installed — detail/ ones included where public templates need them, never src/<layer>/detail/.
# chatkit::header_only (docs/packaging.md#header-only-use): what a program that compiles <chatkit/src.hpp> itself
# needs — the include directory, C++20 and the libraries the sources use — and no chatkit library.
include(ChatkitSrcHpp)
add_library(chatkit_header_only INTERFACE)
set_target_properties(chatkit_header_only PROPERTIES EXPORT_NAME header_only)
target_include_directories(chatkit_header_only INTERFACE $<INSTALL_INTERFACE:include>)
target_compile_features(chatkit_header_only INTERFACE cxx_std_20)
target_link_libraries(chatkit_header_only INTERFACE Boost::headers Boost::json Boost::url OpenSSL::SSL OpenSSL::Crypto
                      Threads::Threads)

install(TARGETS chatkit chatkit_header_only ${layers} EXPORT chatkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT chatkitTargets NAMESPACE chatkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)

# What the config file needs to know: the exported layers (its components) and which optional
# dependencies they pull in, so find_package(chatkit) looks only for what was built.
set(CHATKIT_EXPORTED_LAYERS "")
foreach(layer IN LISTS layers)
  string(REGEX REPLACE "^chatkit_" "" layer "${layer}")
  list(APPEND CHATKIT_EXPORTED_LAYERS ${layer})
endforeach()
set(CHATKIT_NEEDS_SQLITE3 OFF)
set(CHATKIT_NEEDS_POSTGRESQL OFF)
if(TARGET chatkit_sqlite)
  set(CHATKIT_NEEDS_SQLITE3 ON)
endif()
if(TARGET chatkit_postgres)
  set(CHATKIT_NEEDS_POSTGRESQL ON)
endif()

# The store contract suite (built with the tests, since it needs Catch2) is the optional component
# store_contract, in its own export file so that only consumers asking for it need Catch2.
set(CHATKIT_HAS_STORE_CONTRACT OFF)
if(TARGET chatkit_store_contract)
  set(CHATKIT_HAS_STORE_CONTRACT ON)
  install(TARGETS chatkit_store_contract EXPORT chatkitStoreContractTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT chatkitStoreContractTargets NAMESPACE chatkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/chatkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/chatkitConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/chatkitConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/chatkitConfig.cmake ${PROJECT_BINARY_DIR}/chatkitConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)

# pkg-config (docs/packaging.md#pkg-config): the layers in reverse registration order, which is link order for
# static libraries (each layer after those that depend on it), and the pkg-config names of the C libraries.
set(CHATKIT_PC_LIBS "")
foreach(layer IN LISTS layers)
  string(REGEX REPLACE "^chatkit_" "" layer "${layer}")
  string(PREPEND CHATKIT_PC_LIBS "-lchatkit_${layer} ")
endforeach()
string(STRIP "${CHATKIT_PC_LIBS}" CHATKIT_PC_LIBS)
# OpenSSL is public (Asio's SSL headers call it inline). The stores' C libraries are Libs.private: a static
# build's consumers get them with `pkg-config --static`, a shared build's libraries carry them themselves. They
# are written as -L<dir> -l<name> of the libraries found, not as Requires.private: `--static` would then add
# those packages' own private libraries too (Debian's libpq.pc names static libraries it does not install).
set(CHATKIT_PC_REQUIRES "openssl")
set(CHATKIT_PC_LIBS_PRIVATE "")
# (The cache variables of FindSQLite3 / FindPostgreSQL: their imported targets are local to src/.)
set(pc_needed CHATKIT_NEEDS_SQLITE3 CHATKIT_NEEDS_POSTGRESQL)
set(pc_library SQLite3_LIBRARY PostgreSQL_LIBRARY_RELEASE)
set(pc_name sqlite3 pq)
foreach(needed lib name IN ZIP_LISTS pc_needed pc_library pc_name)
  if(NOT ${needed})
    continue()
  endif()
  if(${lib})
    get_filename_component(dir "${${lib}}" DIRECTORY)
    string(APPEND CHATKIT_PC_LIBS_PRIVATE " -L${dir}")
  endif()
  string(APPEND CHATKIT_PC_LIBS_PRIVATE " -l${name}")
endforeach()
string(STRIP "${CHATKIT_PC_LIBS_PRIVATE}" CHATKIT_PC_LIBS_PRIVATE)
# The prefix is written at install time, so `cmake --install --prefix <dir>` gets a file pointing at <dir>.
configure_file(${PROJECT_SOURCE_DIR}/cmake/chatkit.pc.in ${PROJECT_BINARY_DIR}/chatkit.pc.configured @ONLY)
install(CODE "
  file(READ \"${PROJECT_BINARY_DIR}/chatkit.pc.configured\" pc)
  string(REPLACE \"prefix=${CMAKE_INSTALL_PREFIX}\" \"prefix=\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/chatkit.pc\" \"\${pc}\")
")
install(FILES ${PROJECT_BINARY_DIR}/chatkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# CHATKIT_INSTALL_TOOLS (docs/packaging.md#tools): the example servers as programs in <prefix>/bin. With shared
# libraries they find them in ../lib relative to themselves ($ORIGIN), wherever the prefix is moved.
if(CHATKIT_INSTALL_TOOLS)
  set(tools "")
  foreach(tool IN ITEMS echo_server mcp_server mcp_client task_bot)
    if(TARGET ${tool})
      list(APPEND tools ${tool})
    endif()
  endforeach()
  if(BUILD_SHARED_LIBS)
    file(RELATIVE_PATH bin_to_lib /${CMAKE_INSTALL_BINDIR} /${CMAKE_INSTALL_LIBDIR})
    set_target_properties(${tools} PROPERTIES INSTALL_RPATH "$ORIGIN/${bin_to_lib}")
  endif()
  install(TARGETS ${tools} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
