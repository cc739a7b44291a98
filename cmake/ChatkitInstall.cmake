# install(EXPORT) of every layer plus chatkit::chatkit, a version file and a package config.
# Consumers: find_package(chatkit CONFIG REQUIRED [COMPONENTS <layer>...]) then chatkit::chatkit or
# chatkit::<layer> (docs/packaging.md). tests/consumer checks all of this against a real install.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(layers GLOBAL PROPERTY CHATKIT_LAYERS)
# Each layer's public headers are its HEADERS file set (listed in src/CMakeLists.txt), so exactly those files are
# installed — detail/ ones included where public templates need them, never src/<layer>/detail/.
install(TARGETS chatkit ${layers} EXPORT chatkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
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

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/chatkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/chatkitConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/chatkitConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/chatkitConfig.cmake ${PROJECT_BINARY_DIR}/chatkitConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)
