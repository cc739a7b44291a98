# vcpkg port for chatkit-cpp (docs/packaging.md#vcpkg--packagingvcpkg). vcpkg cannot be installed where this is developed, so the
# port has not been run here; tests/packaging/check_packaging_agreement.cmake checks that its features, the Conan options and the CMake options
# agree and that the versions match.
#
# Two uses of the same port:
#  * from a checkout, as an overlay:  vcpkg install chatkit-cpp[postgres] --overlay-ports=<checkout>/packaging/vcpkg
#    — the port builds the checkout it sits in;
#  * published in a registry (the port folder copied alone): it fetches the release tag v${VERSION}. The
#    SHA512 is that of the release archive; whoever publishes a release replaces it (vcpkg prints the actual hash
#    when it differs, which is the usual way to obtain it).
set(checkout "${CMAKE_CURRENT_LIST_DIR}/../..")
if(EXISTS "${checkout}/cmake/ChatkitInstall.cmake")
  get_filename_component(SOURCE_PATH "${checkout}" ABSOLUTE)
else()
  vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO chatkit-cpp/chatkit-cpp
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main)
endif()

# Static or shared layers follow the triplet's VCPKG_LIBRARY_LINKAGE (vcpkg passes BUILD_SHARED_LIBS).

# Feature → CMake option (tests/packaging checks this table against CMakeLists.txt and the Conan recipe).
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    sqlite   CHATKIT_WITH_SQLITE
    postgres CHATKIT_WITH_POSTGRES
    mcp      CHATKIT_WITH_MCP
    tools    CHATKIT_INSTALL_TOOLS
)

# chatkit is the top-level project here, so its tests/examples/benchmarks would default ON: turn them off
# (they need Catch2, npm and a PostgreSQL server). -Werror is for chatkit's own CI, not for other toolchains.
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
vcpkg_fixup_pkgconfig()
if("tools" IN_LIST FEATURES)
  # CHATKIT_INSTALL_TOOLS installs the example servers to bin/; vcpkg keeps programs in tools/chatkit-cpp/.
  vcpkg_copy_tools(TOOL_NAMES echo_server mcp_server mcp_client task_bot AUTO_CLEAN)
endif()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
