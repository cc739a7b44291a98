# vcpkg overlay port for chatkit-cpp — UNTESTED: vcpkg could not be installed where this was written.
# It follows the project's CMake options as verified by tests/consumer (see docs/packaging.md).
#   vcpkg install chatkit-cpp[sqlite,postgres] --overlay-ports=<checkout>/packaging/vcpkg
#
# The port sits in the checkout it builds, so the source is that checkout. A port published to a registry
# would fetch a release instead:
#   vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO <owner>/chatkit-cpp REF "v${VERSION}" SHA512 <hash>)
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
if(NOT EXISTS "${SOURCE_PATH}/cmake/ChatkitInstall.cmake")
  message(FATAL_ERROR "chatkit-cpp: expected the source checkout at ${SOURCE_PATH}")
endif()

# Every layer is a STATIC library (src/CMakeLists.txt).
vcpkg_check_linkage(ONLY_STATIC_LIBRARY)

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    sqlite   CHATKIT_WITH_SQLITE
    postgres CHATKIT_WITH_POSTGRES
)

# chatkit is the top-level project here, so its tests/examples/benchmarks would default ON: turn them off
# (they need Catch2 and a PostgreSQL server). -Werror is for chatkit's own CI, not for other toolchains.
vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    -DCHATKIT_BUILD_TESTS=OFF
    -DCHATKIT_BUILD_EXAMPLES=OFF
    -DCHATKIT_BUILD_BENCH=OFF
    -DCHATKIT_INSTALL=ON
    -DCHATKIT_WERROR=OFF
    -DCHATKIT_SANITIZE=OFF
)
vcpkg_cmake_install()
# The package is chatkit (find_package(chatkit CONFIG)), installed to lib/cmake/chatkit.
vcpkg_cmake_config_fixup(PACKAGE_NAME chatkit CONFIG_PATH lib/cmake/chatkit)

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
