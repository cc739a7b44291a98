# install(EXPORT) of every layer plus chatkit::chatkit, a version file and a package config.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(layers GLOBAL PROPERTY CHATKIT_LAYERS)
install(TARGETS chatkit ${layers} EXPORT chatkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/chatkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT chatkitTargets NAMESPACE chatkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/chatkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/chatkitConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/chatkitConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/chatkitConfig.cmake ${PROJECT_BINARY_DIR}/chatkitConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chatkit)
